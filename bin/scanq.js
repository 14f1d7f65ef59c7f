#!/usr/bin/env node
// The `scanq` command. In a source checkout (src/ beside this file and tsx installed, as after
// `npm ci`) it runs the TypeScript sources, so a stale dist/ is never used; an installed package
// or the image has no src/ and runs the compiled dist/ (`npm run build`).
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(sources) ? await tsxRegister() : undefined;
if (register) {
  register();
  await import(sources.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'scanq: no dist/ to run: build it with `npm run build` (or `npm ci` for the sources)\n',
  );
  process.exit(1);
}
