import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_SCHEMA } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('Document: README', () => {
  it('opens with the two commands: bring the stack up, run the tests', () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm ci && npm run dev\b/m);
    expect(firstBlock).toMatch(/^npm ci && npm test\b/m);
    expect(readme.indexOf('```bash')).toBeLessThan(readme.indexOf('## '));
  });

  it.each(Object.keys(ENV_SCHEMA))('documents %s in the configuration table', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it('names a script for every npm command it shows', () => {
    const scripts = Object.keys(
      (
        JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
          scripts: Record<string, string>;
        }
      ).scripts,
    );
    for (const [, name] of readme.matchAll(/npm run ([a-z:-]+)/g)) expect(scripts).toContain(name);
  });
});
