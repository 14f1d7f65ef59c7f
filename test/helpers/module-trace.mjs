// Loaded with `node --import` into a process under test: writes one line to stderr per module
// of an @opentelemetry package the process resolves (import or require), so a test can tell which
// OpenTelemetry packages a process loaded.
import { registerHooks } from 'node:module';

const seen = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const match = /\/node_modules\/(@opentelemetry\/[^/]+)\//.exec(resolved.url);
    if (match && !seen.has(match[1])) {
      seen.add(match[1]);
      process.stderr.write(`${JSON.stringify({ moduleLoaded: match[1] })}\n`);
    }
    return resolved;
  },
});
