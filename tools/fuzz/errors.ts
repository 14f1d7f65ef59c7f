import { ScanqError } from '../../src/lib/index.js';

/** The fuzzer could not set up a target (the stack refused a valid request): no case was judged. */
export class FuzzSetupError extends ScanqError {
  constructor(message: string) {
    super('fuzz.setupFailed', message);
  }
}
