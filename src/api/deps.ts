import type { AwsClients } from '../aws/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import type { Producer } from '../producer/index.js';
import type { Telemetry } from '../telemetry/index.js';
import { type TableDeps, type TenantContext, TenantFiles, TenantTable } from '../tenancy/index.js';

/** What route handlers work with; built once per server. */
export interface RouteDeps {
  readonly config: Config;
  readonly clients: AwsClients;
  readonly producer: Producer;
  readonly log: Logger;
  /** Metrics (and the Prometheus text of `/metrics`) and tracing of this server. */
  readonly telemetry: Telemetry;
  readonly now: () => Date;
  /** The jobs queue (readiness check). */
  readonly queueUrl: string;
  readonly tableDeps: TableDeps;
}

/** The tenant's table, for the context the auth hook vouched for. */
export function tableFor(deps: RouteDeps, ctx: TenantContext): TenantTable {
  return new TenantTable(deps.tableDeps, ctx);
}

/** The tenant's files, for the context the auth hook vouched for. */
export function filesFor(deps: RouteDeps, ctx: TenantContext): TenantFiles {
  const r = deps.config.resources;
  return new TenantFiles(
    {
      s3: deps.clients.s3,
      buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket },
      now: deps.now,
    },
    ctx,
  );
}
