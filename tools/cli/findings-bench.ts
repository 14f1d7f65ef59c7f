import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  ALLOW_REAL_AWS_FLAG,
  configOrExit,
  EXIT,
  guardRealAws,
  out,
  positiveInt,
  runCommand,
} from '../../src/cli/index.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../src/findings/index.js';
import { openEndpoint } from '../bench/endpoint.js';
import { runFindingsBench } from '../findings/bench.js';

function formatList(value: string): ExportFormat[] {
  const formats = value.split(',').map((f) => EXPORT_FORMATS.find((known) => known === f.trim()));
  if (formats.some((f) => f === undefined)) {
    throw new InvalidArgumentError(`must be a comma-separated list of ${EXPORT_FORMATS.join(', ')}`);
  }
  return formats.filter((f): f is ExportFormat => f !== undefined);
}

/** `scanq-tools findings-bench`: the streamed export's time and peak RSS at 10 % and 100 % of `--risks`. */
export function registerFindingsBench(program: Command): void {
  program
    .command('findings-bench')
    .description('seed a tenant with risks and measure `scanq risks export` (time, peak RSS) per format')
    .option('--risks <n>', 'risks to seed', positiveInt('--risks', 10_000_000), 100_000)
    .addOption(
      new Option('--profile <profile>', 'local endpoint to start')
        .choices(['load', 'default'])
        .default('load'),
    )
    .option('--formats <list>', `formats to export (${EXPORT_FORMATS.join(',')})`, formatList, [
      ...EXPORT_FORMATS,
    ])
    .option(
      '--max-old-space <mb>',
      "cap the export process's V8 heap (shows memory does not grow with risks)",
      positiveInt('--max-old-space', 65_536),
    )
    .option('--json <file>', 'also write the measures as JSON')
    .option(
      ALLOW_REAL_AWS_FLAG,
      'let a configured endpoint set that reaches real AWS be used (or SCANQ_ALLOW_REAL_AWS=true)',
    )
    .action(
      (cli: {
        risks: number;
        profile: 'load' | 'default';
        formats: ExportFormat[];
        maxOldSpace?: number;
        json?: string;
        allowRealAws?: boolean;
      }) =>
        runCommand(async () => {
          const config = configOrExit({ localState: true });
          // Without a configured endpoint the tool starts its own; a configured set must not reach AWS.
          if (config.local) await guardRealAws(config, 'findings-bench', cli.allowRealAws);
          const endpoint = await openEndpoint(config, { profile: cli.profile, say: out });
          try {
            const cap = cli.maxOldSpace === undefined ? '' : `, export heap capped at ${cli.maxOldSpace} MB`;
            out(`findings export benchmark: ${cli.risks} risks, endpoint ${endpoint.profile}${cap}`);
            const measures = await runFindingsBench(endpoint, {
              risks: cli.risks,
              formats: cli.formats,
              ...(cli.maxOldSpace === undefined ? {} : { heapMb: cli.maxOldSpace }),
              say: out,
            });
            if (cli.json) writeFileSync(cli.json, `${JSON.stringify({ measures }, null, 2)}\n`);
            return EXIT.ok;
          } finally {
            await endpoint.close();
          }
        }),
    );
}
