import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { ENV_SCHEMA } from '../../src/config/schema.js';
import { resourceNames } from '../../src/local-aws/manifest.js';
import {
  type Block,
  type Body,
  type Instance,
  isValueObject,
  Reference,
  show,
  TerraformModule,
  type Value,
  type ValueObject,
} from '../helpers/hcl.js';

const ROOT_DIR = fileURLToPath(new URL('../../terraform', import.meta.url));
const ECS_DIR = fileURLToPath(new URL('../../terraform/modules/ecs', import.meta.url));
const PREFIX = 'PREFIX';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/scanq:1.2.3';
const PROCESSES = ['api', 'scheduler', 'sweeper', 'worker'];
/** ECS refuses a stopTimeout above 120 seconds. */
const ECS_MAX_STOP_TIMEOUT = 120;
/** Every optional input of the api set, so that every conditional entry of the environment shows. */
const API_OPTIONS = {
  api_jwt_secret_arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:scanq/jwt-AbCdEf',
  api_jwt_secret_kms_key_arn: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  api_jwt_jwks_url: 'https://id.example.com/.well-known/jwks.json',
  api_jwt_issuer: 'https://id.example.com/',
  api_jwt_audience: 'scanq',
};

/** The one nested block at `path` (block types) of a body. */
function nested(body: Body, path: readonly string[]): Body {
  let current = body;
  for (const type of path) {
    const found = current.blocks.filter((b) => b.type === type);
    if (found.length !== 1 || !found[0]) throw new Error(`expected one ${type} block, found ${found.length}`);
    current = found[0].body;
  }
  return current;
}

function text(value: Value | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${show(value)}`);
  return value;
}

function num(value: Value | undefined, what: string): number {
  if (typeof value !== 'number') throw new Error(`${what}: expected a number, got ${show(value)}`);
  return value;
}

function list(value: Value | undefined, what: string): readonly Value[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${show(value)}`);
  return value;
}

function object(value: Value | undefined, what: string): ValueObject {
  if (!isValueObject(value)) throw new Error(`${what}: expected an object, got ${show(value)}`);
  return value;
}

// --- the root module, the ECS module as the root module calls it -------------------------------

/** The one top-level block `type "name"` of a module. */
function topLevel(module: TerraformModule, type: string, name: string): Block {
  const found = module.blocks.filter((b) => b.type === type && b.labels[0] === name);
  const [block, ...rest] = found;
  if (!block || rest.length > 0) throw new Error(`expected one ${type} "${name}", found ${found.length}`);
  return block;
}

interface Deployment {
  readonly root: TerraformModule;
  /** The ECS module, with the inputs the root module's `module "ecs"` block gives it. */
  readonly ecs: TerraformModule;
}

/** The root module with `variables` (and variable defaults otherwise), and the ECS module it calls. */
function deploy(variables: Readonly<Record<string, Value>> = {}): Deployment {
  const overrides = { prefix: PREFIX, image: IMAGE, ...variables };
  const root = new TerraformModule(ROOT_DIR, overrides);
  const call = topLevel(root, 'module', 'ecs');
  expect(root.value(call.body, 'source')).toBe('./modules/ecs');
  const inputs: Record<string, Value> = {};
  for (const name of call.body.attributes.keys())
    if (name !== 'source' && name !== 'count') inputs[name] = root.value(call.body, name) ?? null;
  return { root, ecs: new TerraformModule(ECS_DIR, inputs) };
}

interface Container {
  readonly process: string;
  readonly instance: Instance;
  readonly definition: ValueObject;
  readonly environment: ReadonlyMap<string, Value>;
  readonly secrets: ReadonlyMap<string, Value>;
}

/** The container of each process's task definition, as ECS would receive it. */
function containers({ ecs }: Deployment): Container[] {
  return ecs.instancesOf('aws_ecs_task_definition').map((instance) => {
    const process = text(instance.key, `${instance.address} key`);
    const definitions = list(
      ecs.attribute(instance, 'container_definitions'),
      `${process} container_definitions`,
    );
    expect(definitions, `${process}: one container per task`).toHaveLength(1);
    const definition = object(definitions[0], `${process} container`);
    const pairs = (field: string, valueField: string) =>
      new Map(
        list(definition[field], `${process} ${field}`).map((entry, i) => {
          const e = object(entry, `${process} ${field}[${i}]`);
          return [text(e.name, `${process} ${field}[${i}].name`), e[valueField] ?? null] as const;
        }),
      );
    const environment = pairs('environment', 'value');
    const secrets = pairs('secrets', 'valueFrom');
    expect(list(definition.environment, process)).toHaveLength(environment.size); // no name twice
    return { process, instance, definition, environment, secrets };
  });
}

function byProcess(all: readonly Container[], process: string): Container {
  const found = all.find((c) => c.process === process);
  if (!found) throw new Error(`no task definition for ${process}`);
  return found;
}

/** Whether every validation block of a root variable accepts `value` (the others at their defaults). */
function accepts(variable: string, value: Value, others: Readonly<Record<string, Value>> = {}): boolean {
  const overrides = { prefix: PREFIX, ...others, [variable]: value };
  const root = new TerraformModule(ROOT_DIR, overrides);
  const validations = topLevel(root, 'variable', variable).body.blocks.filter((b) => b.type === 'validation');
  expect(validations.length, `variable ${variable} has a validation block`).toBeGreaterThan(0);
  return validations.every((v) => {
    const condition = v.body.attributes.get('condition');
    if (!condition) throw new Error(`variable ${variable}: validation without a condition`);
    const result = root.evaluate(condition);
    if (typeof result !== 'boolean') throw new Error(`variable ${variable}: cannot evaluate ${show(result)}`);
    return result;
  });
}

/** The seconds of the worker's drain (SCANQ_DRAIN_TIMEOUT) and its task's stopTimeout. */
function workerStop(deployment: Deployment): { drainSeconds: number; stopTimeout: number } {
  const worker = byProcess(containers(deployment), 'worker');
  const drain = text(worker.environment.get('SCANQ_DRAIN_TIMEOUT'), 'SCANQ_DRAIN_TIMEOUT');
  const drainMs = ENV_SCHEMA.SCANQ_DRAIN_TIMEOUT.parse(drain);
  return {
    drainSeconds: drainMs / 1000,
    stopTimeout: num(worker.definition.stopTimeout, 'worker stopTimeout'),
  };
}

const metricsOf = (policy: Instance): Block[] =>
  nested(policy.block.body, [
    'target_tracking_scaling_policy_configuration',
    'customized_metric_specification',
  ]).blocks.filter((b) => b.type === 'metrics');

// --- tests ---------------------------------------------------------------------------------------

describe('Module: terraform/modules/ecs task definitions', () => {
  it('declares one task definition per process, running the process by name as a non-root user', () => {
    // Prepare
    const deployment = deploy();

    // Act
    const all = containers(deployment);

    // Assess
    expect(all.map((c) => c.process).sort()).toEqual(PROCESSES);
    for (const { process, definition } of all) {
      expect(definition.name, process).toBe(process);
      expect(definition.image, process).toBe(IMAGE);
      expect(definition.command, process).toEqual([process]);
      expect(definition.essential, process).toBe(true);
      expect(definition.readonlyRootFilesystem, process).toBe(true);
      const user = text(definition.user, `${process} user`);
      expect(user, `${process} runs as the image's node user`).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    }
  });

  it("uses each process's own role of the root module as its task role, and another as its execution role", () => {
    // Prepare
    const { ecs } = deploy();

    // Act
    const tasks = ecs.instancesOf('aws_ecs_task_definition');

    // Assess
    for (const task of tasks) {
      const role = ecs.attribute(task, 'task_role_arn');
      expect(
        role instanceof Reference && `${role.address}[${role.key}].${role.path.join('.')}`,
        task.key,
      ).toBe(`aws_iam_role.process[${task.key}].arn`);
      const execution = ecs.attribute(task, 'execution_role_arn');
      expect(execution instanceof Reference && execution.address, task.key).toBe('aws_iam_role.execution');
    }
  });

  it.each([
    ['with the defaults', {}],
    ['with every optional api input set', API_OPTIONS],
  ])('sets only environment variables that ENV_SCHEMA knows (%s), secrets included', (_, variables) => {
    // Prepare
    const known = new Set(Object.keys(ENV_SCHEMA));

    // Act
    const all = containers(deploy(variables));

    // Assess
    expect(all).toHaveLength(PROCESSES.length);
    for (const { process, environment, secrets } of all)
      for (const name of [...environment.keys(), ...secrets.keys()])
        expect(known.has(name), `${process} sets ${name}, which src/config/schema.ts does not know`).toBe(
          true,
        );
  });

  it('gives every process the whole `env` output, with the same values', () => {
    // Prepare
    const deployment = deploy();
    const env = object(
      deployment.root.value(topLevel(deployment.root, 'output', 'env').body, 'value'),
      'output env',
    );

    // Act
    const all = containers(deployment);

    // Assess
    expect(Object.keys(env).length).toBeGreaterThan(5);
    for (const { process, environment } of all)
      for (const [name, value] of Object.entries(env))
        expect(show(environment.get(name)), `${process} ${name}`).toBe(show(value));
  });

  it('lets the api listen on 0.0.0.0:8080 and the others serve their status on loopback, each checked there', () => {
    // Prepare
    const all = containers(deploy());
    const port = (c: Container, name: string) =>
      Number(text(c.environment.get(name), `${c.process} ${name}`));

    // Act
    const api = byProcess(all, 'api');
    const others = all.filter((c) => c.process !== 'api');

    // Assess
    expect(api.environment.get('SCANQ_API_HOST')).toBe('0.0.0.0');
    expect(port(api, 'SCANQ_API_PORT')).toBe(8080);
    expect(list(api.definition.portMappings, 'api portMappings')).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'tcp' },
    ]);
    expect(others).toHaveLength(3);
    for (const c of others) {
      expect(c.environment.get('SCANQ_STATUS_HOST'), c.process).toBe('127.0.0.1');
      expect(c.environment.has('SCANQ_API_PORT'), c.process).toBe(false);
    }
    for (const c of all) {
      const checked = c.process === 'api' ? port(c, 'SCANQ_API_PORT') : port(c, 'SCANQ_STATUS_PORT');
      const check = object(c.definition.healthCheck, `${c.process} healthCheck`);
      const command = list(check.command, `${c.process} healthCheck.command`);
      expect(command.slice(0, 3), c.process).toEqual(['CMD', 'node', '-e']);
      expect(text(command[3], 'script'), c.process).toContain(`fetch('http://127.0.0.1:${checked}/healthz')`);
    }
  });

  it('passes the JWT secret as a secret of the api only, read by the api execution role only', () => {
    // Prepare
    const deployment = deploy({ api_jwt_secret_arn: API_OPTIONS.api_jwt_secret_arn });

    // Act
    const all = containers(deployment);
    const readers = deployment.ecs.instancesOf('data.aws_iam_policy_document').filter((document) =>
      document.block.body.blocks.some((block) => {
        if (block.type !== 'dynamic') return false;
        const forEach = block.body.attributes.get('for_each');
        const items = forEach && deployment.ecs.evaluate(forEach, { each: document.each });
        return Array.isArray(items) && items.includes(API_OPTIONS.api_jwt_secret_arn);
      }),
    );

    // Assess
    for (const c of all) {
      expect(c.environment.has('SCANQ_JWT_SECRET'), `${c.process}: the secret in plain environment`).toBe(
        false,
      );
      expect([...c.secrets], c.process).toEqual(
        c.process === 'api' ? [['SCANQ_JWT_SECRET', API_OPTIONS.api_jwt_secret_arn]] : [],
      );
    }
    expect(readers.map((d) => `${d.address}[${d.key}]`)).toEqual([
      'data.aws_iam_policy_document.execution[api]',
    ]);
  });
});

describe('Module: terraform/modules/ecs worker drain', () => {
  it('stops the worker no sooner than its drain timeout allows, and within ECS 120 s', () => {
    // Prepare
    const deployment = deploy();

    // Act
    const { drainSeconds, stopTimeout } = workerStop(deployment);

    // Assess
    expect(drainSeconds).toBe(25);
    expect(stopTimeout).toBeGreaterThan(drainSeconds);
    expect(stopTimeout).toBeLessThanOrEqual(ECS_MAX_STOP_TIMEOUT);
  });

  it('defaults to the drain timeout of SCANQ_DRAIN_TIMEOUT', () => {
    // Prepare
    const schemaDefault = ENV_SCHEMA.SCANQ_DRAIN_TIMEOUT.parse(undefined);

    // Act
    const { drainSeconds } = workerStop(deploy());

    // Assess
    expect(drainSeconds * 1000).toBe(schemaDefault);
  });

  it.each([1, 25, 60, 110, 111, 0, 2.5, 600])(
    'keeps drain < stopTimeout ≤ 120 s for every worker_drain_timeout it accepts (%s)',
    (seconds) => {
      // Prepare
      const accepted = accepts('worker_drain_timeout', seconds);

      // Act
      const stop = accepted ? workerStop(deploy({ worker_drain_timeout: seconds })) : undefined;

      // Assess
      expect(accepted).toBe(Number.isInteger(seconds) && seconds >= 1 && seconds <= 110);
      if (!stop) return;
      expect(stop.drainSeconds).toBe(seconds);
      expect(parseDuration(`${seconds}s`)).toBe(seconds * 1000);
      expect(stop.stopTimeout).toBeGreaterThanOrEqual(seconds + 5);
      expect(stop.stopTimeout).toBeLessThanOrEqual(ECS_MAX_STOP_TIMEOUT);
    },
  );
});

describe('Module: terraform/modules/ecs worker scaling', () => {
  const names = resourceNames(PREFIX);

  function scaling(deployment: Deployment) {
    const { ecs } = deployment;
    const [policy, ...otherPolicies] = ecs.instancesOf('aws_appautoscaling_policy');
    const [target, ...otherTargets] = ecs.instancesOf('aws_appautoscaling_target');
    if (!policy || !target || otherPolicies.length > 0 || otherTargets.length > 0)
      throw new Error('expected one scaling policy and one scalable target');
    const workerService = ecs.instancesOf('aws_ecs_service').find((service) => {
      const task = ecs.attribute(service, 'task_definition');
      return (
        task instanceof Reference &&
        task.address === 'aws_ecs_task_definition.process' &&
        task.key === 'worker'
      );
    });
    if (!workerService) throw new Error('no service runs the worker task definition');
    return { ecs, policy, target, workerService };
  }

  it("tracks visible messages of both lanes' queues divided by running tasks of the worker service", () => {
    // Prepare
    const { ecs, policy, workerService } = scaling(deploy());
    const cluster = ecs.instance('aws_ecs_cluster.this');

    // Act
    const metrics = new Map(
      metricsOf(policy).map((block) => [text(ecs.value(block.body, 'id'), 'metric id'), block] as const),
    );
    const returned = [...metrics.values()].filter((m) => ecs.value(m.body, 'return_data') === true);
    const expression = returned[0] && text(ecs.value(returned[0].body, 'expression'), 'expression');
    const [, numerator, denominator] = /^\s*([a-z]\w*)\s*\/\s*([a-z]\w*)\s*$/.exec(expression ?? '') ?? [];
    const metric = (id: string | undefined) => {
      const block = id === undefined ? undefined : metrics.get(id);
      if (!block) throw new Error(`no metric ${id} in ${expression}`);
      const stat = nested(block.body, ['metric_stat', 'metric']);
      return {
        namespace: ecs.value(stat, 'namespace'),
        name: ecs.value(stat, 'metric_name'),
        dimensions: Object.fromEntries(
          stat.blocks
            .filter((d) => d.type === 'dimensions')
            .map((d) => [
              text(ecs.value(d.body, 'name'), 'dimension'),
              ecs.evaluate(d.body.attributes.get('value') ?? missingValue()),
            ]),
        ),
      };
    };

    // The numerator is the sum of the two queues' visible messages (an expression `a + b`).
    const sum = numerator === undefined ? undefined : metrics.get(numerator);
    const terms = text(sum && ecs.value(sum.body, 'expression'), 'backlog expression')
      .split('+')
      .map((term) => metric(term.trim()));

    // Assess
    expect(ecs.value(policy.block.body, 'policy_type')).toBe('TargetTrackingScaling');
    expect(returned).toHaveLength(1);
    expect(terms).toEqual(
      [names.queue, names.bulkQueue].map((queue) => ({
        namespace: 'AWS/SQS',
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queue },
      })),
    );
    expect(metric(denominator)).toEqual({
      namespace: 'ECS/ContainerInsights',
      name: 'RunningTaskCount',
      dimensions: {
        ClusterName: ecs.attribute(cluster, 'name'),
        ServiceName: ecs.attribute(workerService, 'name'),
      },
    });
    // RunningTaskCount exists only with Container Insights on.
    const settings = cluster.block.body.blocks.filter((b) => b.type === 'setting');
    expect(settings.map((s) => [ecs.value(s.body, 'name'), ecs.value(s.body, 'value')])).toContainEqual([
      'containerInsights',
      'enabled',
    ]);
  });

  it('scales the worker service between the min and max variables, to the target variable', () => {
    // Prepare
    const deployment = deploy({
      worker_min_count: 2,
      worker_max_count: 7,
      worker_target_backlog_per_task: 40,
      worker_scale_in_cooldown: 120,
      worker_scale_out_cooldown: 30,
    });

    // Act
    const { ecs, policy, target, workerService } = scaling(deployment);
    const config = ['target_tracking_scaling_policy_configuration'];

    // Assess
    expect(ecs.attribute(target, 'min_capacity')).toBe(2);
    expect(ecs.attribute(target, 'max_capacity')).toBe(7);
    expect(ecs.attribute(target, 'scalable_dimension')).toBe('ecs:service:DesiredCount');
    expect(ecs.attribute(target, 'resource_id')).toBe(
      `service/${PREFIX}/${ecs.attribute(workerService, 'name')}`,
    );
    expect(ecs.attribute(policy, ...config, 'target_value')).toBe(40);
    expect(ecs.attribute(policy, ...config, 'scale_in_cooldown')).toBe(120);
    expect(ecs.attribute(policy, ...config, 'scale_out_cooldown')).toBe(30);
    expect(ecs.attribute(policy, 'resource_id')).toBe(ecs.attribute(target, 'resource_id'));
  });

  it.each([
    ['worker_min_count', 0, {}, true],
    ['worker_min_count', 3, { worker_max_count: 10 }, true],
    ['worker_min_count', -1, {}, false],
    ['worker_min_count', 1.5, {}, false],
    ['worker_max_count', 4, { worker_min_count: 4 }, true],
    ['worker_max_count', 3, { worker_min_count: 4 }, false],
    ['worker_max_count', 0, { worker_min_count: 0 }, false],
    ['worker_target_backlog_per_task', 0.5, {}, true],
    ['worker_target_backlog_per_task', 0, {}, false],
    ['worker_target_backlog_per_task', -10, {}, false],
    ['worker_scale_in_cooldown', 0, {}, true],
    ['worker_scale_in_cooldown', -1, {}, false],
    ['worker_scale_out_cooldown', 60, {}, true],
    ['worker_scale_out_cooldown', 1.5, {}, false],
  ] as const)('validates %s = %s (with %o): accepted %s', (variable, value, others, wanted) => {
    // Prepare: `others` as given, every other variable at its default (inside `accepts`)

    // Act
    const accepted = accepts(variable, value, others);

    // Assess
    expect(accepted).toBe(wanted);
  });
});

function missingValue(): never {
  throw new Error('dimension without a value');
}
