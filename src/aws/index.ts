export { CallCounter, countingPlugin, operationName } from './call-counter.js';
export { type AwsClients, type ClientOptions, clientSettings, createAwsClients } from './clients.js';
export { type FaultPlan, faultPlugin, InjectedFaultError } from './faults.js';
export { queueDepth } from './queue-depth.js';
export { type ResolvedResources, resolveResources } from './resources.js';
