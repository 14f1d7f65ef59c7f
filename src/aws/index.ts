export {
  type AwsClients,
  type ClientMiddleware,
  type ClientOptions,
  clientSettings,
  createAwsClients,
} from './clients.js';
export { type QueueStates, queueDepth, queueStates } from './queue-depth.js';
export { type ResolvedResources, resolveResources } from './resources.js';
