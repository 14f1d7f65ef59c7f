export {
  createProducer,
  type EnqueueAccepted,
  type EnqueueOptions,
  type EnqueueRejected,
  type EnqueueResult,
  type Producer,
  type ProducerDeps,
} from './producer.js';
export { chunk, type Outgoing, type SendOutcome, SQS_BATCH_SIZE, sendJobMessages } from './sender.js';
export { createSweeper, type Sweeper, type SweeperDeps, type SweepReport } from './sweeper.js';
export { newTraceparent, traceparentOr } from './trace.js';
