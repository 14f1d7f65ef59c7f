import { describe, expect, it } from 'vitest';
import { type AssetRecord, builtinCapabilities, jobKey, type NewJob } from '../../../src/jobs/index.js';
import {
  admitChildren,
  type CascadeSettings,
  cascadeRecord,
  MAX_RECORDED,
  matchAssets,
  planChildren,
} from '../../../src/workers/cascade.js';

const registry = builtinCapabilities();
const ON: CascadeSettings = {
  enabled: true,
  maxDepth: 2,
  maxChildren: 100,
  capabilities: ['portscan', 'http-probe'],
};
const port = (host: string, n: number, banner?: string): AssetRecord => ({
  type: 'port',
  value: `${host}:${n}`,
  attributes: { ip: host, port: n, protocol: 'tcp', ...(banner ? { banner } : {}) },
});
const PARENT = { key: jobKey('10.0.0.1', 'portscan'), depth: 0 };
const SCAN_ASSETS: AssetRecord[] = [
  { type: 'host', value: '10.0.0.1', attributes: { ip: '10.0.0.1' } },
  port('10.0.0.1', 22, 'SSH-2.0-OpenSSH'),
  port('10.0.0.1', 8080),
  port('10.0.0.1', 31337, 'HTTP/1.0 200 OK'),
  port('10.0.0.1', 443),
];

describe('Function: matchAssets', () => {
  it('pairs each asset with every capability whose match accepts it, with the target it derives', () => {
    expect(matchAssets(SCAN_ASSETS, registry)).toEqual([
      { capability: 'portscan', target: '10.0.0.1' },
      { capability: 'http-probe', target: 'http://10.0.0.1:8080/' },
      { capability: 'http-probe', target: 'http://10.0.0.1:31337/' },
      { capability: 'http-probe', target: 'https://10.0.0.1:443/' },
    ]);
  });
});

describe('Function: planChildren', () => {
  const plan = (overrides: Partial<Parameters<typeof planChildren>[0]> = {}) =>
    planChildren({ parent: PARENT, assets: SCAN_ASSETS, settings: ON, registry, ...overrides });
  const targets = (jobs: readonly NewJob[]) => jobs.map((j) => `${j.capability} ${j.target}`);

  it('spawns the matching capabilities, never the parent itself, with lineage from the root', () => {
    const result = plan();
    expect(result.stop).toBeUndefined();
    expect(targets(result.candidates)).toEqual([
      'http-probe http://10.0.0.1:8080/',
      'http-probe http://10.0.0.1:31337/',
      // The URL normalizer drops the default port.
      'http-probe https://10.0.0.1/',
    ]);
    expect(result.candidates.map((j) => j.lineage)).toEqual(
      Array(3).fill({ parent: PARENT.key, root: PARENT.key, depth: 1 }),
    );
  });

  it('inherits the root of a parent that was itself spawned', () => {
    const parent = { key: 'k-parent', root: 'k-root', depth: 1 };
    const [first] = plan({ parent }).candidates;
    expect(first?.lineage).toEqual({ parent: 'k-parent', root: 'k-root', depth: 2 });
  });

  it.each([
    ['no profile', undefined, 'disabled'],
    ['cascade off', { ...ON, enabled: false }, 'disabled'],
  ])(
    'spawns nothing with %s and says so (the parent matching its own host is not listed)',
    (_name, settings, stop) => {
      const result = plan({ settings });
      expect(result.stop).toBe(stop);
      expect(result.candidates).toEqual([]);
      expect(result.skipped.map((s) => `${s.capability}:${s.reason}`)).toEqual(
        Array(3).fill(`http-probe:${stop}`),
      );
    },
  );

  it.each([
    [0, 0, 'maxDepth'],
    [1, 1, 'maxDepth'],
    [1, 0, undefined],
    [2, 1, undefined],
  ])('maxDepth %d with a parent at depth %d → stop %s', (maxDepth, depth, stop) => {
    const result = plan({ settings: { ...ON, maxDepth }, parent: { ...PARENT, depth } });
    expect(result.stop).toBe(stop);
    expect(result.candidates.length).toBe(stop ? 0 : 3);
  });

  it('skips capabilities the tenant did not turn on', () => {
    const result = plan({ settings: { ...ON, capabilities: ['portscan'] } });
    expect(result.candidates).toEqual([]);
    expect(result.skipped.map((s) => `${s.capability}:${s.reason}`)).toEqual(
      Array(3).fill('http-probe:capabilityOff'),
    );
  });

  it('spawns each child once and skips invalid targets', () => {
    const result = plan({
      assets: [port('10.0.0.1', 8080), port('10.0.0.1', 8080), { type: 'host', value: 'bad host' }],
    });
    expect(targets(result.candidates)).toEqual(['http-probe http://10.0.0.1:8080/']);
    expect(result.skipped).toEqual([{ capability: 'portscan', target: 'bad host', reason: 'invalidTarget' }]);
  });

  it('counts no match when the only match is the parent itself', () => {
    expect(plan({ assets: [{ type: 'host', value: '10.0.0.1' }] }).matched).toBe(0);
  });

  it('reports nothing matched for assets no capability wants', () => {
    expect(plan({ assets: [{ type: 'bucket', value: 'b' }], settings: undefined })).toEqual({
      matched: 0,
      candidates: [],
      skipped: [],
    });
  });
});

describe('Function: admitChildren', () => {
  const jobs = plan3();
  function plan3(): NewJob[] {
    return [...planChildren({ parent: PARENT, assets: SCAN_ASSETS, settings: ON, registry }).candidates];
  }

  it('admits up to maxChildren, checks no more than that, skips the rest as maxChildren', async () => {
    const checked: string[] = [];
    const result = await admitChildren(jobs, 1, async (job) => {
      checked.push(job.target);
      return undefined;
    });
    expect(result.admitted.map((j) => j.target)).toEqual(['http://10.0.0.1:8080/']);
    expect(result.skipped.map((s) => s.reason)).toEqual(['maxChildren', 'maxChildren']);
    expect(result.capped).toBe(true);
    expect(checked).toEqual(['http://10.0.0.1:8080/']);
  });

  it('does not count policy refusals against the limit', async () => {
    const result = await admitChildren(jobs, 2, async (job) =>
      job.target.includes('8080') ? 'policy.outOfScope' : undefined,
    );
    expect(result.admitted.map((j) => j.target)).toEqual(['http://10.0.0.1:31337/', 'https://10.0.0.1/']);
    expect(result.skipped).toEqual([
      { capability: 'http-probe', target: 'http://10.0.0.1:8080/', reason: 'policy.outOfScope' },
    ]);
    expect(result.capped).toBe(false);
  });
});

describe('Function: cascadeRecord', () => {
  it('bounds the lists it keeps and counts everything', () => {
    const spawned = Array.from({ length: 120 }, (_, i) => `k${i}`);
    const record = cascadeRecord({ depth: 1, spawned, skipped: [], reason: 'maxChildren', at: new Date(0) });
    expect(record.spawned.length).toBe(MAX_RECORDED);
    expect(record).toMatchObject({ spawnedCount: 120, skippedCount: 0, reason: 'maxChildren', depth: 1 });
  });
});
