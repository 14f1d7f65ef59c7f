import { ScanqError } from '../lib/errors.js';

/**
 * The `dev` demo could not go on. Codes: `demo.api` (the API answered what the demo did not
 * expect), `demo.apiUnready` (it never became ready), `demo.serviceExited` (a child process died),
 * `demo.timeout` (jobs did not settle in time), `demo.interrupted` (a signal stopped it).
 */
export class DemoError extends ScanqError {}
