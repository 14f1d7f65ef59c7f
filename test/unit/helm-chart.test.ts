import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseDuration } from '../../src/config/duration.js';
import { ENV_SCHEMA } from '../../src/config/schema.js';
import { isValueObject, TerraformModule } from '../helpers/hcl.js';

/*
 * The Helm chart deploy/helm/scanq, read without helm: its values (defaults and the value sets in
 * ci/) and the literal text of its templates. A small evaluator computes the few template
 * expressions the assertions depend on (and throws on anything it does not know, so a changed
 * template cannot slip past it). When .tools/bin/helm exists (scripts/deploy/helm.sh builds it), the
 * last block renders the chart for real and checks the same facts on the output.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'deploy/helm/scanq');
const TEMPLATES = join(CHART, 'templates');
const HELM = join(ROOT, '.tools/bin/helm');
const PROCESSES = ['api', 'worker', 'scheduler', 'sweeper'] as const;
const KNOWN: ReadonlySet<string> = new Set(Object.keys(ENV_SCHEMA));

type Values = Record<string, unknown>;

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's coalescing of a value file over the chart's defaults: maps merge, null deletes. */
function coalesce(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const below = out[key];
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(below)) out[key] = coalesce(below, value);
    else out[key] = value;
  }
  return out;
}

function at(values: unknown, path: string): unknown {
  let node = values;
  for (const key of path.split('.').filter(Boolean)) node = isMap(node) ? node[key] : undefined;
  return node;
}

function mapAt(values: Values, path: string): Values {
  const node = at(values, path);
  return isMap(node) ? node : {};
}

const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Values;
const ciFiles = readdirSync(join(CHART, 'ci')).filter((name) => name.endsWith('-values.yaml'));
/** Every value set helm.sh renders: the defaults, and each ci/ file over them. */
const valueSets: ReadonlyArray<readonly [string, Values]> = [
  ['default values', defaults],
  ...ciFiles.map(
    (name) =>
      [name, coalesce(defaults, parse(readFileSync(join(CHART, 'ci', name), 'utf8')) as Values)] as const,
  ),
];
const autoscaled = valueSets.filter(([, values]) => at(values, 'worker.autoscaling.enabled') === true);

const templates = new Map(
  readdirSync(TEMPLATES).map((name) => [name, readFileSync(join(TEMPLATES, name), 'utf8')] as const),
);

function template(name: string): string {
  const text = templates.get(name);
  if (text === undefined) throw new Error(`no template ${name}`);
  return text;
}

/** The body of `{{ define "name" }} … {{ end }}` in _helpers.tpl, with nested blocks. */
function helperBody(name: string): string {
  const text = template('_helpers.tpl');
  const start = text.indexOf(`{{- define "${name}" -}}`);
  if (start < 0) throw new Error(`no helper ${name}`);
  const actions = /{{-?\s*(define|if|range|with|end)\b[^}]*}}/g;
  actions.lastIndex = start;
  let depth = 0;
  let bodyStart = -1;
  for (let match = actions.exec(text); match; match = actions.exec(text)) {
    if (match[1] === 'end') depth -= 1;
    else depth += 1;
    if (bodyStart < 0) bodyStart = match.index + match[0].length;
    if (depth === 0) return text.slice(bodyStart, match.index);
  }
  throw new Error(`unterminated helper ${name}`);
}

/**
 * Evaluates the subset of Go template / Sprig used in the expressions under test: `.Values.a.b`,
 * string and number literals, `$`/`$ctx` (ignored: helpers here read `.Values` only), other fields
 * (`.root`, `.proc`: placeholders), parentheses,
 * pipes, and `int`, `add`, `printf` (%d %s), `quote`, `toString`, `include`. An `include` of a
 * helper that is one expression is evaluated; any other becomes the placeholder «name», so two
 * occurrences compare equal.
 */
function evaluate(expression: string, values: Values): unknown {
  const tokens = expression.match(/"(?:[^"\\]|\\.)*"|[()|]|\$\w*|\.[\w.]+|-?\d+|[A-Za-z_]\w*/g) ?? [];
  if (tokens.join('').replace(/\s+/g, '') !== expression.replace(/\s+/g, ''))
    throw new Error(`the test's evaluator cannot read {{ ${expression} }}`);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => {
    const token = tokens[position++];
    if (token === undefined) throw new Error(`unexpected end of {{ ${expression} }}`);
    return token;
  };
  const call = (fn: string, args: unknown[]): unknown => {
    switch (fn) {
      case 'int': {
        const n = Math.trunc(Number(args[0]));
        if (Number.isNaN(n)) throw new Error(`int of ${String(args[0])}`);
        return n;
      }
      case 'add':
        return args.reduce<number>((sum, arg) => sum + Math.trunc(Number(arg)), 0);
      case 'printf': {
        const rest = args.slice(1);
        return String(args[0]).replace(/%[ds]/g, () => String(rest.shift()));
      }
      case 'quote':
        return JSON.stringify(String(args[0] ?? ''));
      case 'toString':
        return String(args[0]);
      case 'include': {
        const name = String(args[0]);
        const body = helperBody(name).trim();
        const single = /^{{-?\s*([^{}]*?)\s*-?}}$/.exec(body);
        return single?.[1] !== undefined ? evaluate(single[1], values) : `«${name}»`;
      }
      default:
        throw new Error(`the test's evaluator does not know ${fn} (in {{ ${expression} }})`);
    }
  };
  const operand = (): unknown => {
    const token = next();
    if (token === '(') {
      const value = pipeline();
      if (next() !== ')') throw new Error(`unbalanced ( in {{ ${expression} }}`);
      return value;
    }
    if (token.startsWith('"')) return JSON.parse(token) as string;
    if (/^-?\d+$/.test(token)) return Number(token);
    if (token.startsWith('$')) return undefined;
    if (token.startsWith('.Values.')) return at(values, token.slice('.Values.'.length));
    if (token.startsWith('.')) return `«${token}»`; // a field of a helper's context (.root, .proc)
    throw new Error(`unexpected ${token} in {{ ${expression} }}`);
  };
  const command = (piped: unknown[]): unknown => {
    const head = peek();
    if (head !== undefined && /^[A-Za-z_]\w*$/.test(head)) {
      next();
      const args: unknown[] = [];
      while (peek() !== undefined && peek() !== '|' && peek() !== ')') args.push(operand());
      return call(head, [...args, ...piped]);
    }
    return operand();
  };
  const pipeline = (): unknown => {
    let value = command([]);
    while (peek() === '|') {
      next();
      value = command([value]);
    }
    return value;
  };
  const value = pipeline();
  if (position !== tokens.length) throw new Error(`trailing ${tokens.slice(position).join(' ')}`);
  return value;
}

/** Template text with every `{{ … }}` replaced by its value; control actions are refused. */
function substitute(text: string, values: Values): string {
  return text.replace(/{{-?\s*(.*?)\s*-?}}/g, (_, expression: string) => {
    if (/^(if|else|end|range|with|define|fail)\b|:=/.test(expression))
      throw new Error(`control action {{ ${expression} }} where only values were expected`);
    return String(evaluate(expression, values));
  });
}

/** Env names the chart can set from a value set: the shared and per-process env / secretEnv maps. */
function valueEnvNames(values: Values): string[] {
  const maps = ['env', 'secretEnv', ...PROCESSES.flatMap((p) => [`${p}.env`, `${p}.secretEnv`])];
  return maps.flatMap((path) => Object.keys(mapAt(values, path)));
}

/** Names the templates spell out themselves (a literal `- name: X`, or X quoted or in a path). */
function templateEnvNames(): string[] {
  const names = new Set<string>();
  for (const text of templates.values())
    for (const [name] of text.matchAll(/\b(?:SCANQ|AWS)_[A-Z0-9_]+\b|\bLOG_LEVEL\b/g)) names.add(name);
  return [...names];
}

function workerDrain(values: Values): { graceSeconds: number; drainTimeout: string } {
  const graceSeconds = Number(evaluate('include "scanq.worker.terminationGracePeriodSeconds" $', values));
  const drainTimeout = String(evaluate('include "scanq.worker.drainTimeout" $', values));
  return { graceSeconds, drainTimeout };
}

function scaledObjectTemplate(): { triggers: string; triggerAuthentication: string } {
  const docs = template('keda.yaml').split(/^---$/m);
  const scaledObject = docs.find((doc) => /^kind: ScaledObject$/m.test(doc)) ?? '';
  const triggerAuthentication = docs.find((doc) => /^kind: TriggerAuthentication$/m.test(doc)) ?? '';
  // The trigger list runs from `  triggers:` to the chart's closing `{{- end }}`.
  const triggers = /^ {2}triggers:\n([\s\S]*?)^{{- end }}/m.exec(scaledObject)?.[1] ?? '';
  return { triggers, triggerAuthentication };
}

describe('Deploy: Helm chart deploy/helm/scanq', () => {
  it('sets only environment variables that src/config/schema.ts knows', () => {
    // Prepare
    const fromValues = valueSets.flatMap(([, values]) => valueEnvNames(values));
    const fromTemplates = templateEnvNames();
    // values.schema.json: the names helm itself accepts in the env and secretEnv maps.
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as Values;
    const fromSchema = ['envMap', 'secretEnvMap'].flatMap(
      (map) => (at(schema, `definitions.${map}.propertyNames.enum`) as string[] | undefined) ?? [],
    );

    // Act
    const unknown = [...new Set([...fromValues, ...fromTemplates, ...fromSchema])].filter(
      (name) => !KNOWN.has(name),
    );

    // Assess: the names exist, no template bypasses the values (envFrom), and the check saw names.
    expect(unknown).toEqual([]);
    expect(fromValues).toEqual(expect.arrayContaining(['SCANQ_QUEUE_URL', 'SCANQ_STATUS_PORT']));
    expect(fromTemplates).toContain('SCANQ_DRAIN_TIMEOUT');
    expect(fromSchema).toEqual(expect.arrayContaining(fromValues));
    expect([...templates.values()].join('\n')).not.toMatch(/\benvFrom\b/);
  });

  it('lists every variable of `terraform output env` in the shared env values', () => {
    // Prepare: the output as terraform would compute it (test/helpers/hcl.ts, as terraform.test.ts).
    const tf = new TerraformModule(join(ROOT, 'terraform'), { prefix: 'PREFIX' });
    const output = tf.blocks.find((block) => block.type === 'output' && block.labels[0] === 'env');
    if (!output) throw new Error('terraform has no output "env"');
    const env = tf.value(output.body, 'value');
    if (!isValueObject(env)) throw new Error('output env is not an object');

    // Act
    const shared = Object.keys(mapAt(defaults, 'env'));

    // Assess
    expect(Object.keys(env).length).toBeGreaterThanOrEqual(11);
    expect(shared).toEqual(expect.arrayContaining(Object.keys(env)));
  });

  it.each(valueSets)('keeps secrets out of plain values (%s)', (_, values) => {
    // Prepare: the names the chart refuses as plain values, from its own helper.
    const secretNames = helperBody('scanq.secretNames').trim().split(/\s+/);

    // Act
    const plain = ['env', ...PROCESSES.map((p) => `${p}.env`)].flatMap((path) =>
      Object.keys(mapAt(values, path)),
    );

    // Assess
    expect(secretNames).toEqual(expect.arrayContaining(['SCANQ_JWT_SECRET', 'SCANQ_CALLBACK_SECRET']));
    expect(plain.filter((name) => secretNames.includes(name))).toEqual([]);
  });

  it.each(valueSets)('gives the worker a grace period that outlasts its drain (%s)', (_, values) => {
    // Prepare: the Deployment and the env take both numbers from the two helpers, nowhere else.
    const deployments = template('deployments.yaml');
    const helpers = template('_helpers.tpl');
    expect(deployments).toMatch(
      /{{- if eq \$proc "worker" }}\n(?:\s*#.*\n)*\s*terminationGracePeriodSeconds: {{ include "scanq\.worker\.terminationGracePeriodSeconds" \$ }}/,
    );
    expect(helpers).toMatch(
      /- name: SCANQ_DRAIN_TIMEOUT\n\s*value: {{ include "scanq\.worker\.drainTimeout" \.root \| quote }}/,
    );
    expect(Object.keys(mapAt(values, 'worker.env'))).not.toContain('SCANQ_DRAIN_TIMEOUT');

    // Act
    const { graceSeconds, drainTimeout } = workerDrain(values);
    const drainMs = parseDuration(drainTimeout);

    // Assess: one source (worker.drainSeconds), and SIGKILL comes at least 5 s after the drain ends.
    expect(drainMs).toBe(Number(at(values, 'worker.drainSeconds')) * 1000);
    expect(graceSeconds * 1000).toBeGreaterThanOrEqual((drainMs ?? Number.POSITIVE_INFINITY) + 5_000);
  });

  it('derives the grace period from the drain, so raising one raises the other', () => {
    // Prepare
    const longer = coalesce(defaults, { worker: { drainSeconds: 600 } });

    // Act
    const before = workerDrain(defaults);
    const after = workerDrain(longer);

    // Assess
    expect(after.drainTimeout).toBe('600s');
    expect(after.graceSeconds - before.graceSeconds).toBe(600 - Number(at(defaults, 'worker.drainSeconds')));
  });

  it.each(autoscaled)(
    "scales workers with KEDA's aws-sqs-queue triggers on the jobs and bulk queues (%s)",
    (_, values) => {
      // Prepare
      const { triggers, triggerAuthentication } = scaledObjectTemplate();
      const authName = /^ {2}name: (.*)$/m.exec(triggerAuthentication)?.[1] ?? '';

      // Act
      const rendered = parse(substitute(triggers, values)) as Array<{
        type: string;
        authenticationRef: { name: string; kind: string };
        metadata: Record<string, string>;
      }>;

      // Assess: a trigger per lane, its target backlog per replica from values, in-flight messages counted.
      expect(rendered).toHaveLength(2);
      expect(rendered.map((t) => t.metadata.queueURL)).toEqual([
        at(values, 'env.SCANQ_QUEUE_URL'),
        at(values, 'env.SCANQ_BULK_QUEUE_URL'),
      ]);
      for (const trigger of rendered) {
        expect(trigger.type).toBe('aws-sqs-queue');
        expect(trigger.metadata).toEqual({
          queueURL: trigger.metadata.queueURL,
          awsRegion: at(values, 'env.AWS_REGION'),
          queueLength: String(at(values, 'worker.autoscaling.queueLength')),
          activationQueueLength: String(at(values, 'worker.autoscaling.activationQueueLength')),
          scaleOnInFlight: 'true',
          scaleOnDelayed: 'false',
        });
        expect(trigger.authenticationRef).toEqual({
          name: substitute(authName, values),
          kind: 'TriggerAuthentication',
        });
      }
      expect(triggerAuthentication).toMatch(/podIdentity:\n\s+provider: aws\n/);
    },
  );

  it('has value sets that differ where the assertions look', () => {
    // Assess: a template that ignored values would still pass with one value set; these differ.
    const lengths = new Set(autoscaled.map(([, values]) => at(values, 'worker.autoscaling.queueLength')));
    const drains = new Set(valueSets.map(([, values]) => at(values, 'worker.drainSeconds')));
    expect(autoscaled.length).toBeGreaterThanOrEqual(2);
    expect(lengths.size).toBeGreaterThanOrEqual(2);
    expect(drains.size).toBeGreaterThanOrEqual(2);
  });
});

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}
interface Container {
  name: string;
  env?: Array<{ name: string; value?: string }>;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}

// Without Go a developer's machine cannot build helm, so the block waits for `npm run check:deploy`;
// CI runs that first, and there a missing helm fails the block instead of skipping it.
describe.skipIf(!existsSync(HELM) && process.env.CI !== 'true')(
  'Deploy: Helm chart rendered by .tools/bin/helm',
  () => {
    const render = (file: string | undefined): Manifest[] =>
      parseAllDocuments(
        execFileSync(
          HELM,
          ['template', 'scanq', CHART, '--namespace', 'scanq', ...(file ? ['-f', file] : [])],
          {
            encoding: 'utf8',
          },
        ),
      )
        .map((doc) => doc.toJSON() as Manifest | null)
        .filter((doc): doc is Manifest => doc !== null);
    const files = valueSets.map(
      ([name]) => [name, name.endsWith('.yaml') ? join(CHART, 'ci', name) : undefined] as const,
    );
    const containersOf = (manifest: Manifest) =>
      (at(manifest.spec, 'template.spec.containers') as Container[] | undefined) ?? [];

    it.each(files)('agrees with the values-based checks (%s)', (name, file) => {
      // Prepare
      const manifests = render(file);
      const values = valueSets.find(([setName]) => setName === name)?.[1] ?? defaults;
      const worker = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-worker'));
      const workerContainer = worker ? containersOf(worker)[0] : undefined;

      // Act
      const envNames = manifests
        .filter((m) => m.kind === 'Deployment')
        .flatMap((m) => containersOf(m).flatMap((c) => (c.env ?? []).map((e) => e.name)));
      const drain = workerContainer?.env?.find((e) => e.name === 'SCANQ_DRAIN_TIMEOUT')?.value ?? '';
      const grace = Number(at(worker?.spec, 'template.spec.terminationGracePeriodSeconds'));

      // Assess
      expect(envNames.filter((n) => !KNOWN.has(n))).toEqual([]);
      expect(grace * 1000).toBeGreaterThanOrEqual((parseDuration(drain) ?? Number.POSITIVE_INFINITY) + 5_000);
      expect({ grace, drain }).toEqual({
        grace: workerDrain(values).graceSeconds,
        drain: workerDrain(values).drainTimeout,
      });
      expect(workerContainer?.lifecycle?.preStop?.exec?.command).toEqual([
        '/bin/sh',
        '-c',
        'kill -TERM 1; while kill -0 1 2>/dev/null; do sleep 1; done',
      ]);
      const scaled = manifests.find((m) => m.kind === 'ScaledObject');
      if (at(values, 'worker.autoscaling.enabled') === true) {
        const lane = {
          type: 'aws-sqs-queue',
          metadata: {
            queueLength: String(at(values, 'worker.autoscaling.queueLength')),
            scaleOnInFlight: 'true',
          },
        };
        expect(at(scaled?.spec, 'triggers')).toMatchObject([lane, lane]);
        expect(worker?.spec.replicas).toBeUndefined();
      } else expect(scaled).toBeUndefined();
    });
  },
);
