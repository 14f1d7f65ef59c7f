/** What bootstrap did to one resource. */
export type BootstrapAction = 'created' | 'updated' | 'unchanged' | 'unsupported';

export interface BootstrapStep {
  readonly resource: 'queue' | 'table' | 'index' | 'ttl' | 'pitr' | 'bucket' | 'kms-key' | 'topic' | 'role';
  readonly name: string;
  readonly action: BootstrapAction;
  readonly detail?: string;
}

/** Collects steps as bootstrap goes. */
export class StepLog {
  readonly steps: BootstrapStep[] = [];

  add(step: BootstrapStep): void {
    this.steps.push(step);
  }
}

/** True for an AWS error whose name is one of `names`. */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/** True when the endpoint does not implement an operation (emulators). */
export function isUnsupported(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    [
      'UnknownOperationException',
      'NotImplementedError',
      'NotImplemented',
      'UnrecognizedClientException',
    ].includes(error.name) || status === 501
  );
}
