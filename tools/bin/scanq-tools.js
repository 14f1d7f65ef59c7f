#!/usr/bin/env node
// The measurement tools (tools/cli/main.ts: bench, chaos, fuzz) as a command. A development
// dependency (tsx) runs it, so it cannot ship in a production install.
const { register } = await import('tsx/esm/api');
register();
await import(new URL('../cli/main.ts', import.meta.url).href);
