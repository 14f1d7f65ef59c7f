import { CapabilityRegistry } from '../capability.js';
import { awsPosture } from './aws-posture.js';
import { external } from './external.js';
import { httpProbe } from './http-probe.js';
import { importCapability } from './import.js';
import { noop } from './noop.js';
import { portscan } from './portscan.js';
import { sleep } from './sleep.js';

export { awsPosture, POSTURE_ASSETS, POSTURE_RISKS } from './aws-posture.js';
export { createHttpProbe, httpProbe } from './http-probe.js';
export { IMPORT_EVENTS, IMPORT_LIMITS, importCapability, parseImportFile } from './import.js';
export { noop } from './noop.js';
export {
  hostOfTarget,
  type ResolvedAddress,
  type ResolvedTarget,
  type Resolver,
  resolveTarget,
  systemResolver,
  TargetPolicyError,
} from './policy.js';
export { createPortscan, portscan } from './portscan.js';
export { sleep } from './sleep.js';

/** The built-in capabilities. */
export function builtinCapabilities(): CapabilityRegistry {
  return new CapabilityRegistry([noop, portscan, httpProbe, sleep, awsPosture, importCapability, external]);
}
