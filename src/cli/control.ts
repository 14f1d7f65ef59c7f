/**
 * What the job-control commands share: the operator's context (an admin of the tenant named by
 * `--tenant`: whoever runs the CLI holds the deployment's AWS credentials already) and job control
 * over the command's clients, the same module the API and the library use.
 */
import type { AwsClients } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { JobError } from '../jobs/index.js';
import type { Logger } from '../lib/logger.js';
import { createJobControl, createProducer, type JobControl } from '../producer/index.js';
import { type TenantContext, TenantFiles } from '../tenancy/index.js';
import { EXIT } from './context.js';
import { operatorContext } from './enqueue.js';

/** `system:cli` in `tenant` with the admin role, or undefined after a usage message. */
export function adminOperator(tenant: string, problem?: string): TenantContext | undefined {
  const ctx = operatorContext(tenant, problem);
  return ctx ? { ...ctx, roles: ['admin'] } : undefined;
}

/** Job control over a command's clients. */
export async function cliControl(config: Config, clients: AwsClients, log: Logger): Promise<JobControl> {
  const r = config.resources;
  const producer = await createProducer(config, { clients, log });
  return createJobControl({
    tableDeps: { doc: clients.doc, tableName: r.table },
    filesOf: (ctx) =>
      new TenantFiles(
        {
          s3: clients.s3,
          buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket },
        },
        ctx,
      ),
    producer,
    log,
  });
}

/** A refusal by the job's state (not found, finished, not failed): one line and exit 1. */
export function refused(error: unknown): number {
  if (!(error instanceof JobError)) throw error;
  process.stderr.write(`scanq: ${error.code}: ${error.message}\n`);
  return EXIT.failure;
}
