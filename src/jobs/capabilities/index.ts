import { CapabilityRegistry } from '../capability.js';
import { noop } from './noop.js';

export { noop } from './noop.js';

/** The built-in capabilities. */
export function builtinCapabilities(): CapabilityRegistry {
  return new CapabilityRegistry([noop]);
}
