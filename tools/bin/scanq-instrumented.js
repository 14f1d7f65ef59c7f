#!/usr/bin/env node
// `scanq` with the tools' instruments (tools/instrument/scanq.ts): fault injection and call
// statistics from SCANQ_FAULT_* and SCANQ_CALL_STATS. For the benchmark, the chaos run and the
// tests; a development dependency (tsx) runs it, so it cannot ship in a production install.
const { register } = await import('tsx/esm/api');
register();
await import(new URL('../instrument/scanq.ts', import.meta.url).href);
