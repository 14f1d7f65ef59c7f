export { type DuePage, type DueRef, queryDueSchedules } from './due-index.js';
export { SchedulerError, ScheduleValidationError } from './errors.js';
export {
  type ClaimPlan,
  claimPlan,
  EXECUTION_TTL_MS,
  quarantinePlan,
  type RunJob,
  type RunRecord,
  SCHEDULE_EXECUTION_PREFIX,
  scheduleExecutionItem,
  scheduleExecutionKey,
  unclaimPlan,
} from './runs.js';
// The schedule model is the API's as much as the scheduler's: re-exported whole.
export * from './schedule.js';
export { createScheduler, type Scheduler, type SchedulerDeps, type TickReport } from './scheduler.js';
