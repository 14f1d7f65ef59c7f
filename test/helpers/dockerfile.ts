/**
 * Replays a Dockerfile without Docker: each stage gets a directory under `root`; WORKDIR, ENV,
 * COPY (from the build context or `--from=<stage>`), RUN (through `sh -c`, with the stage's ENV)
 * and ENTRYPOINT/CMD are carried out on the host, with the image's absolute paths mapped into the
 * stage directory. Enough for scanq's own Dockerfile; anything it does not know fails loudly, so a
 * change to the Dockerfile cannot be silently skipped by the test that replays it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Instruction {
  readonly op: string;
  readonly args: string;
}

export interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) throw new Error(`Dockerfile: cannot read "${line}"`);
    const [op, args] = [match[1], match[2]];
    if (op === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      stages.push({ name: name ?? String(stages.length), from, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error('Dockerfile: an instruction before FROM');
    stage.instructions.push({ op, args });
  }
  return stages;
}

/** What replaying one stage left: its directory, its working directory and the entry point. */
export interface ReplayedStage {
  readonly dir: string;
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  /** ENTRYPOINT + CMD with image paths mapped into `dir`. */
  readonly command: readonly string[];
}

/**
 * Replays every stage of `dockerfile` (build context `context`) into `root`. `baseEnv` stands for
 * the base image's environment (PATH with a Node ≥ 22, HOME).
 */
export function replayDockerfile(options: {
  readonly dockerfile: string;
  readonly context: string;
  readonly root: string;
  readonly baseEnv: Readonly<Record<string, string>>;
}): Map<string, ReplayedStage> {
  const done = new Map<string, ReplayedStage>();
  for (const stage of parseDockerfile(readFileSync(options.dockerfile, 'utf8'))) {
    const dir = join(options.root, stage.name);
    mkdirSync(dir, { recursive: true });
    const inImage = (path: string) => join(dir, path);
    let workdir = '/';
    let entrypoint: string[] = [];
    let cmd: string[] = [];
    let user: string | undefined;
    const env: Record<string, string> = {};
    for (const { op, args } of stage.instructions) {
      switch (op) {
        case 'WORKDIR':
          workdir = args.startsWith('/') ? args : join(workdir, args);
          mkdirSync(inImage(workdir), { recursive: true });
          break;
        case 'ENV': {
          const [name, ...value] = args.split('=');
          if (!name || value.length === 0) throw new Error(`Dockerfile: ENV ${args} is not NAME=value`);
          // As Docker does: a double-quoted value loses its quotes.
          env[name] = value.join('=').replace(/^"(.*)"$/, '$1');
          break;
        }
        case 'COPY': {
          const words = args.split(/\s+/);
          const fromFlag = words[0]?.startsWith('--from=')
            ? words.shift()?.slice('--from='.length)
            : undefined;
          const target = words.pop();
          if (!target || words.length === 0) throw new Error(`Dockerfile: COPY ${args}`);
          const sourceRoot = fromFlag ? done.get(fromFlag)?.dir : options.context;
          if (!sourceRoot) throw new Error(`Dockerfile: COPY --from=${fromFlag} names no earlier stage`);
          const destination = inImage(target.startsWith('/') ? target : join(workdir, target));
          // Into the directory `target` (several sources, or a trailing slash), else as `target`.
          const intoDirectory = words.length > 1 || target.endsWith('/');
          for (const source of words) {
            const name = source.split('/').at(-1) ?? source;
            cpSync(join(sourceRoot, source), intoDirectory ? join(destination, name) : destination, {
              recursive: true,
            });
          }
          break;
        }
        case 'RUN':
          execFileSync('sh', ['-c', args], {
            cwd: inImage(workdir),
            env: { ...options.baseEnv, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 300_000,
          });
          break;
        case 'USER':
          user = args;
          break;
        case 'ENTRYPOINT':
          entrypoint = JSON.parse(args) as string[];
          break;
        case 'CMD':
          cmd = JSON.parse(args) as string[];
          break;
        default:
          throw new Error(`Dockerfile: the replay does not know ${op}`);
      }
    }
    const mapped = [...entrypoint, ...cmd].map((word) => (word.startsWith('/') ? inImage(word) : word));
    done.set(stage.name, { dir, workdir: inImage(workdir), env, user, command: mapped });
  }
  return done;
}
