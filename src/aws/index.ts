export {
  type AwsClients,
  type ClientMiddleware,
  type ClientOptions,
  clientSettings,
  createAwsClients,
  endpointOf,
  isLoopbackEndpoint,
  isLoopbackHost,
  isRealAwsEndpoint,
  realAwsServices,
} from './clients.js';
export { type QueueStates, queueDepth, queueStates } from './queue-depth.js';
export { AwsResourceMissingError, type ResolvedResources, resolveResources } from './resources.js';
