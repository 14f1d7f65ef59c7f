import { Command, CommanderError, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { oneLineUsageErrors } from '../../../src/cli/failures.js';
import { positiveInt, share, wholeNumber } from '../../../src/cli/flags.js';
import { buildProgram } from '../../../src/cli/program.js';
import { registerBench } from '../../../tools/cli/bench.js';
import { registerChaos } from '../../../tools/cli/chaos.js';
import { registerFindingsBench } from '../../../tools/cli/findings-bench.js';
import { registerFuzz } from '../../../tools/cli/fuzz.js';
import { registerFuzzApi } from '../../../tools/cli/fuzz-api.js';

describe('Function: wholeNumber', () => {
  it.each([
    ['1', 1],
    ['1000', 1000],
    [' 7 ', 7],
  ])('accepts %j', (value, expected) => {
    expect(wholeNumber('--n', 1, 1000)(value)).toBe(expected);
  });

  it.each(['0', '-1', 'abc', '1.5', '1e3', '', '1001', '0x10'])(
    'refuses %j, naming the flag and the range',
    (value) => {
      expect(() => wholeNumber('--n', 1, 1000)(value)).toThrow('--n must be a whole number from 1 to 1000');
    },
  );

  it('positiveInt starts at 1; share takes 0 to 1', () => {
    expect(() => positiveInt('--workers', 16)('0')).toThrow('from 1 to 16');
    expect(share('--rate')('0.05')).toBe(0.05);
    expect(() => share('--rate')('2')).toThrow('--rate must be a number from 0 to 1');
  });
});

/** Every command of a tree with every option that parses its value. */
function parsedOptions(root: Command): { path: string[]; option: Option }[] {
  const found: { path: string[]; option: Option }[] = [];
  const walk = (command: Command, path: string[]) => {
    for (const option of command.options) {
      // commander keeps the parser on the option; choices() installs one too.
      if ((option as Option & { parseArg?: unknown }).parseArg && option.required)
        found.push({ path, option });
    }
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(root, []);
  return found;
}

/** Parses argv in-process and returns what the program wrote on stderr and the usage error's code. */
async function usageError(
  root: Command,
  argv: string[],
): Promise<{ stderr: string; exitCode: number | undefined }> {
  let stderr = '';
  const capture = (command: Command) => {
    command.configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} });
    command.exitOverride();
    for (const sub of command.commands) capture(sub);
  };
  capture(root);
  try {
    await root.parseAsync(argv, { from: 'user' });
    return { stderr, exitCode: undefined };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { stderr, exitCode: error.exitCode };
  }
}

async function toolsProgram(): Promise<Command> {
  const program = new Command('scanq-tools');
  for (const register of [registerBench, registerChaos, registerFuzz, registerFuzzApi, registerFindingsBench])
    register(program);
  oneLineUsageErrors(program);
  return program;
}

/** Options whose parser splits or trims free text; the value is checked where it is used. */
const FREE_TEXT = new Set(['scanq token --roles']);

describe('Every option that takes a value (scanq and scanq-tools)', () => {
  it('refuses `abc` with one line naming the option and where the usage is, before any action runs', async () => {
    // Prepare
    const trees = [await buildProgram({}), await toolsProgram()];
    const cases = trees.flatMap((tree) => parsedOptions(tree).map((c) => ({ tree, ...c })));
    expect(cases.length).toBeGreaterThan(20);

    const failures: string[] = [];
    for (const { tree, path, option } of cases) {
      // Act: a fresh tree per case (commander keeps parsed values on the command).
      const fresh = tree.name() === 'scanq' ? await buildProgram({}) : await toolsProgram();
      const flag = option.long ?? option.short ?? '';
      const { stderr, exitCode } = await usageError(fresh, [...path, flag, 'abc']);

      const where = `${[tree.name(), ...path].join(' ')}`;
      if (FREE_TEXT.has(`${where} ${flag}`)) continue;
      const oneLine = new RegExp(
        `^${where}: option '[^']*${flag}[^']*' argument 'abc' is invalid\\. .+ \\(${where} --help shows the usage\\)\n$`,
      );
      if (exitCode !== 1 || !oneLine.test(stderr))
        failures.push(`${where} ${flag} abc: ${exitCode} ${stderr}`);
    }

    // Assess
    expect(failures).toEqual([]);
  });
});
