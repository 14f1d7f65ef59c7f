import { ScanqError } from '../lib/errors.js';

/** The local AWS endpoint could not be installed, started or reached. */
export class LocalAwsError extends ScanqError {}
