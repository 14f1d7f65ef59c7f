import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../config/index.js';
import { configOrExit, EXIT, out, runCommand } from './context.js';

/** Longest lifetime of a dev token. */
const MAX_TTL_MS = 30 * 86_400_000;

function ttl(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1_000 || ms > MAX_TTL_MS)
    throw new InvalidArgumentError('must be a duration from 1s to 30d');
  return ms;
}

function roles(value: string): string[] {
  return value
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role.length > 0);
}

/** `scanq token`: mint a dev JWT signed with SCANQ_JWT_SECRET (HS256). */
export function registerToken(program: Command): void {
  program
    .command('token')
    .description('mint a development API token signed with SCANQ_JWT_SECRET (prints it on stdout)')
    .requiredOption('--tenant <id>', 'the tenant the token acts in')
    .requiredOption('--sub <user>', 'the user id (sub claim)')
    .requiredOption('--roles <list>', 'comma-separated roles: admin, analyst, readonly, service', roles)
    .option('--ttl <duration>', 'lifetime, e.g. 15m, 1h, 7d (default 1h)', ttl)
    .action((options: { tenant: string; sub: string; roles: string[]; ttl?: number }) =>
      runCommand(async () => {
        const config = configOrExit();
        const secret = config.auth.jwtSecret;
        if (!secret) {
          process.stderr.write(
            'scanq: SCANQ_JWT_SECRET is not set; tokens are minted with that HS256 secret\n',
          );
          return EXIT.usage;
        }
        // The API's modules load only when a token is minted, not in every scanq process.
        const { mintToken } = await import('../api/index.js');
        out(
          await mintToken({
            secret,
            tenant: options.tenant,
            sub: options.sub,
            roles: options.roles,
            ttlMs: options.ttl ?? 3_600_000,
            issuer: config.auth.issuer,
            audience: config.auth.audience,
          }),
        );
        return EXIT.ok;
      }),
    );
}
