import { describe, expect, it } from 'vitest';
import { table } from '../../../tools/bench/format.js';
import { parseStat, processesCpuMs } from '../../../tools/bench/system-cpu.js';
import { capacityUnits } from '../../../tools/instrument/call-stats.js';

describe('Function: table', () => {
  it('pads the first column left and the others right, to the widest cell', () => {
    expect(
      table(
        ['op', 'n'],
        [
          ['SQS.ReceiveMessage', '0.1'],
          ['x', '12.25'],
        ],
      ),
    ).toEqual(['op                      n', 'SQS.ReceiveMessage    0.1', 'x                   12.25']);
  });
});

describe('Function: capacityUnits', () => {
  it.each([
    { consumed: undefined, units: { total: 0, indexes: 0 } },
    { consumed: { TableName: 't', CapacityUnits: 1 }, units: { total: 1, indexes: 0 } },
    {
      consumed: {
        CapacityUnits: 5,
        Table: { CapacityUnits: 2 },
        GlobalSecondaryIndexes: { 'by-sweep': { CapacityUnits: 1 }, 'by-status': { CapacityUnits: 2 } },
      },
      units: { total: 5, indexes: 3 },
    },
    { consumed: [{ CapacityUnits: 2 }, { CapacityUnits: 1.5 }, {}], units: { total: 3.5, indexes: 0 } },
  ])('reads $consumed as $units', ({ consumed, units }) => {
    expect(capacityUnits(consumed)).toEqual(units);
  });
});

describe('Function: parseStat', () => {
  it('reads pid, ppid and utime + stime, even when the command name holds spaces and parentheses', () => {
    const line = '4242 (java (x) y) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 3 1 20 0 30 0 12345';
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, ticks: 300 });
  });

  it('refuses what is not a stat line', () => {
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('Function: processesCpuMs', () => {
  it('reads the CPU a live process has used, and nothing for a process that is gone', () => {
    // Prepare: burn a little CPU in this process.
    const before = processesCpuMs([process.pid]) ?? Number.NaN;
    const until = Date.now() + 60;
    while (Date.now() < until) Math.sqrt(Math.random());

    // Act
    const after = processesCpuMs([process.pid]) ?? Number.NaN;

    // Assess
    expect(after).toBeGreaterThan(before);
    expect(processesCpuMs([2 ** 22 + 1])).toBeUndefined();
    expect(processesCpuMs([])).toBeUndefined();
  });
});
