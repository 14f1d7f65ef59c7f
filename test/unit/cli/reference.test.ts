import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_SCHEMA } from '../../../src/config/index.js';
import {
  builtinCapabilities,
  parseImportFile,
  STATE_MACHINE,
  STATUS_CODES,
} from '../../../src/jobs/index.js';
import { scheduleInputSchema } from '../../../src/scheduler/schedule.js';
import { REFERENCE_FILE, renderReference } from '../../../tools/docs/reference.js';

describe('Document: docs/REFERENCE.md', () => {
  it('is what `npm run docs:reference` generates from the code today', async () => {
    // Act
    const generated = await renderReference();

    // Assess: after a merge that adds a command, capability or variable, run npm run docs:reference.
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(generated);
  });

  it('covers every capability, variable, status code, transition and command', async () => {
    // Act
    const text = await renderReference();

    // Assess
    for (const name of builtinCapabilities().names()) expect(text).toContain(`### \`${name}\``);
    for (const name of Object.keys(ENV_SCHEMA)) expect(text).toContain(`| \`${name}\` |`);
    for (const status of STATUS_CODES) expect(text).toContain(`| \`${status}\` |`);
    for (const edge of STATE_MACHINE) expect(text).toContain(`| \`${edge.name}\` |`);
    for (const command of ['scanq worker', 'scanq local-aws start', 'scanq jobs ls', 'scanq bootstrap'])
      expect(text).toContain(`### \`${command}\``);
    expect(text).toContain('--allow-real-aws');
  });

  it('shows an import file the import capability accepts and a schedule body the API accepts', async () => {
    // Prepare
    const text = await renderReference();
    const section = (title: string) => text.slice(text.indexOf(`## ${title}`));
    const json = (part: string) => /```json\n([\s\S]*?)```/.exec(part)?.[1] ?? '';

    // Act
    const file = parseImportFile(new TextEncoder().encode(json(section('Import file format'))));
    const schedule = scheduleInputSchema.safeParse(JSON.parse(json(section('Schedule body'))));

    // Assess
    expect(file.ok ? file.items.length : file.issues).toBe(2);
    expect(schedule.success).toBe(true);
  });
});
