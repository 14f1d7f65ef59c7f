#!/usr/bin/env node
// The `scanq` command. In a source checkout (src/ beside this file and tsx installed, as after
// `npm ci`) it runs the TypeScript sources, so a stale dist/ is never used; an installed package
// or the image has no src/ and runs the compiled dist/ (`npm run build`).
import { existsSync, readFileSync } from 'node:fs';

// Refuse a Node older than package.json's `engines` in one line, before anything that needs a
// newer one loads (commander, the AWS SDK and sqs-consumer would otherwise warn or fail midway).
// This file itself must parse on old Node: no syntax newer than Node 14 above this check.
const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines;
const wanted = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines?.node ?? '');
if (wanted) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const [needMajor, needMinor] = [Number(wanted[1]), Number(wanted[2] ?? 0)];
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    process.stderr.write(
      `scanq: Node.js ${process.versions.node} is too old: scanq needs Node.js ${engines.node} (24 LTS recommended); install a newer Node and run it again\n`,
    );
    process.exit(2);
  }
}

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
