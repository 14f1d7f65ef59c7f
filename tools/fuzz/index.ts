export { type CaseLists, caseDigest, caseLines, freshSeed, generateCases } from './cases.js';
export { FuzzSetupError } from './errors.js';
export { formatReport } from './format.js';
export { runFuzz } from './run.js';
export {
  FUZZ_DEFAULTS,
  FUZZ_SHARES,
  FUZZ_TARGETS,
  type FuzzFailure,
  type FuzzOptions,
  type FuzzReport,
  type FuzzTarget,
  splitCases,
  type TargetReport,
} from './types.js';
