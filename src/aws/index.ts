export {
  type AwsClients,
  type ClientMiddleware,
  type ClientOptions,
  clientSettings,
  createAwsClients,
} from './clients.js';
export { queueDepth } from './queue-depth.js';
export { type ResolvedResources, resolveResources } from './resources.js';
