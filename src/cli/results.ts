import type { Command } from 'commander';
import { TenantFiles, TenantTable } from '../tenancy/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { operatorContext } from './enqueue.js';
import { namedJob, readNamedJob } from './jobs.js';

/**
 * `scanq results get`: a finished job's result document (docs/RESULTS.md), read through the tenant's
 * files, or a presigned URL of it. Acts as `system:cli` in `--tenant`.
 */
export function registerResults(program: Command): void {
  const group = program.command('results').description("read a job's result document (acts as system:cli)");
  group
    .command('get')
    .description("print a finished job's result document (JSON), or a presigned URL with --url")
    .argument('[key]', 'the job key (#job#{target}#{capability}; quote it)')
    .requiredOption('--tenant <tenant>', 'tenant of the job')
    .option('--capability <name>', 'with --target: the job an enqueue of these would make')
    .option('--target <target>', 'with --capability')
    .option('--url', 'print a presigned GET URL (15 minutes) instead of the document')
    .action(
      (
        key: string | undefined,
        options: { tenant: string; capability?: string; target?: string; url?: boolean },
      ) =>
        runCommand(async () => {
          const named = namedJob(key, options, operatorContext);
          if (!named) return EXIT.usage;
          const { ctx } = named;
          const { config, clients } = commandContext('results');
          try {
            const table = new TenantTable({ doc: clients.doc, tableName: config.resources.table }, ctx);
            const job = await readNamedJob(table, named.key);
            if (!job) return EXIT.failure;
            if (job.resultKey === undefined) {
              process.stderr.write(`scanq: job ${named.key} has no result (it is ${job.code})\n`);
              return EXIT.failure;
            }
            const r = config.resources;
            const files = new TenantFiles(
              {
                s3: clients.s3,
                buckets: {
                  results: r.resultsBucket,
                  uploads: r.uploadsBucket,
                  quarantine: r.quarantineBucket,
                },
              },
              ctx,
            );
            if (options.url) {
              out((await files.presignGet(job.resultKey)).url);
              return EXIT.ok;
            }
            const object = await files.get(job.resultKey);
            if (!object) {
              process.stderr.write(`scanq: the result object ${job.resultKey} is gone\n`);
              return EXIT.failure;
            }
            out(Buffer.from(object.body).toString('utf8'));
            return EXIT.ok;
          } finally {
            clients.destroy();
          }
        }),
    );
}
