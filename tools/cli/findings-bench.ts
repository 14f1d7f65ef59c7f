import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { configOrExit, EXIT, out, positiveInt, runCommand } from '../../src/cli/index.js';
import { openEndpoint } from '../bench/endpoint.js';
import { runFindingsBench } from '../findings/bench.js';

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
    .option('--json <file>', 'also write the measures as JSON')
    .action((cli: { risks: number; profile: 'load' | 'default'; json?: string }) =>
      runCommand(async () => {
        const config = configOrExit({ localState: true });
        const endpoint = await openEndpoint(config, { profile: cli.profile, say: out });
        try {
          out(`findings export benchmark: ${cli.risks} risks, endpoint ${endpoint.profile}`);
          const measures = await runFindingsBench(endpoint, { risks: cli.risks, say: out });
          if (cli.json) writeFileSync(cli.json, `${JSON.stringify({ measures }, null, 2)}\n`);
          return EXIT.ok;
        } finally {
          await endpoint.close();
        }
      }),
    );
}
