import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageNodeOptions } from '../../../tools/bench/processes.js';

describe('Function: imageNodeOptions', () => {
  it('reads the image’s NODE_OPTIONS, which the measured workers run with', () => {
    // Prepare
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');

    // Act
    const options = imageNodeOptions(dockerfile);

    // Assess
    expect(options).toMatch(/--max-semi-space-size=\d+/);
    expect(options).toMatch(/--max-old-space-size=\d+/);
  });

  it('is empty for a Dockerfile without NODE_OPTIONS', () => {
    // Act / Assess
    expect(imageNodeOptions('FROM node:24-slim\nENV NODE_ENV=production\n')).toBe('');
  });
});
