import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createAwsClients, realAwsServices } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { coerceError } from '../lib/errors.js';
import { explainFailure, UsageError } from './failures.js';

/** The switch a user passes to let a command create or change resources in real AWS. */
export const ALLOW_REAL_AWS_FLAG = '--allow-real-aws';

/** How long the account lookup may take before the command says "account unknown". */
const IDENTITY_TIMEOUT_MS = 5_000;

/**
 * The account the credentials belong to, from one read-only `sts:GetCallerIdentity` (it creates
 * and changes nothing, and needs no permission), or why it is unknown.
 */
async function accountOf(config: Config): Promise<string> {
  const clients = createAwsClients(config, { maxAttempts: 1 });
  try {
    const id = await clients.sts.send(new GetCallerIdentityCommand({}), {
      abortSignal: AbortSignal.timeout(IDENTITY_TIMEOUT_MS),
    });
    return `account ${id.Account ?? '?'} (${id.Arn ?? 'no ARN'})`;
  } catch (error) {
    return `account unknown: ${explainFailure(error, config)?.cause ?? coerceError(error).message}`;
  } finally {
    clients.destroy();
  }
}

/**
 * The safety switch of the commands that create or change AWS resources (`bootstrap`, `dev`,
 * `bench`, `chaos`, `fuzz`): when any client would reach real AWS (no endpoint configured, or an
 * endpoint of AWS itself), the command is refused unless `--allow-real-aws` or
 * `SCANQ_ALLOW_REAL_AWS=true` asks for it. Either way it names the account and region first.
 * Against emulators only (moto, ElasticMQ, DynamoDB Local, LocalStack) it does nothing.
 *
 * @param command - the command, as the user typed it (`bootstrap`)
 * @param allowFlag - whether the user passed `--allow-real-aws`
 * @param say - where the notice of an allowed run goes (default stderr)
 * @throws UsageError when real AWS would be reached without the switch (exit 2)
 */
export async function guardRealAws(
  config: Config,
  command: string,
  allowFlag: boolean | undefined,
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  const services = realAwsServices(config);
  if (services.length === 0) return;
  const partial =
    services.length < realAwsServices({ ...config, endpoints: {} as Config['endpoints'] }).length;
  const where = `real AWS in ${config.region}${partial ? ` for ${services.join(', ')}` : ''} (${await accountOf(config)})`;
  if (allowFlag === true || config.allowRealAws) {
    const by = allowFlag === true ? ALLOW_REAL_AWS_FLAG : 'SCANQ_ALLOW_REAL_AWS=true';
    say(`scanq ${command}: acting in ${where}, as ${by} asks`);
    return;
  }
  throw new UsageError(
    'cli.realAws',
    `${command} would create or change resources in ${where}: pass ${ALLOW_REAL_AWS_FLAG} (or set SCANQ_ALLOW_REAL_AWS=true) to do that, or run scanq local-aws start for the local endpoint`,
  );
}
