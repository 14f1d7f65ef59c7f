import { describe, expect, it } from 'vitest';
import { buildProgram, commandOf } from '../../../src/cli/program.js';

describe('Function: commandOf', () => {
  it.each([
    [['node', 'scanq', 'worker', '--concurrency', '16'], 'worker'],
    [['node', 'scanq', 'local-aws', 'start'], 'local-aws'],
    [['node', 'scanq'], undefined],
    [['node', 'scanq', '--help'], undefined],
    [['node', 'scanq', 'help', 'worker'], undefined],
    [['node', 'scanq', 'wrker'], undefined],
    [['node', 'scanq', 'constructor'], undefined],
  ])('%j names %s', (argv, expected) => {
    // Act / Assess
    expect(commandOf(argv)).toBe(expected);
  });
});

describe('Function: buildProgram', () => {
  it('holds only the named command when given one, and every command otherwise', async () => {
    // Act
    const one = await buildProgram({}, 'worker');
    const all = await buildProgram({});

    // Assess
    expect(one.commands.map((c) => c.name())).toEqual(['worker']);
    expect(all.commands.map((c) => c.name())).toEqual([
      'dev',
      'local-aws',
      'bootstrap',
      'migrate',
      'dlq',
      'quarantine',
      'worker',
      'sweeper',
      'api',
      'token',
      'scheduler',
      'enqueue',
      'jobs',
      'risks',
    ]);
  });
});
