import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_SCHEMA, type EnvName } from '../../src/config/schema.js';
import { tenantRoleName } from '../../src/local-aws/bootstrap/role.js';
import { buildManifest, type ResourceNames, resourceNames } from '../../src/local-aws/manifest.js';
import {
  type Block,
  blocksOf,
  HclSyntaxError,
  type Instance,
  isValueObject,
  parseHcl,
  Reference,
  show,
  TerraformModule,
  Unresolved,
  type Value,
} from '../helpers/hcl.js';

const TERRAFORM_DIR = fileURLToPath(new URL('../../terraform', import.meta.url));
const PREFIX = 'PREFIX';
const names = resourceNames(PREFIX);
const manifest = buildManifest(names);
const tf = new TerraformModule(TERRAFORM_DIR, { prefix: PREFIX });

/** SQS attribute names (manifest, bootstrap) → arguments of `aws_sqs_queue` (terraform). */
const QUEUE_ARGUMENTS: Readonly<Record<string, string>> = {
  VisibilityTimeout: 'visibility_timeout_seconds',
  ReceiveMessageWaitTimeSeconds: 'receive_wait_time_seconds',
  MessageRetentionPeriod: 'message_retention_seconds',
  DelaySeconds: 'delay_seconds',
  MaximumMessageSize: 'max_message_size',
};

/** The variable of `terraform output env` that carries each resource name. */
const ENV_FOR_NAME: Readonly<Record<keyof ResourceNames, EnvName>> = {
  table: 'SCANQ_TABLE',
  queue: 'SCANQ_QUEUE_URL',
  dlq: 'SCANQ_DLQ_URL',
  bulkQueue: 'SCANQ_BULK_QUEUE_URL',
  resultsBucket: 'SCANQ_RESULTS_BUCKET',
  uploadsBucket: 'SCANQ_UPLOADS_BUCKET',
  quarantineBucket: 'SCANQ_QUARANTINE_BUCKET',
  topic: 'SCANQ_TOPIC_ARN',
  kmsKey: 'SCANQ_KMS_KEY_ID',
  secretsPrefix: 'SCANQ_SECRETS_PREFIX',
};

/** Secrets Manager actions that read or write a secret's value or tags: a tenant tag must be involved. */
const SECRET_VALUE_ACTIONS: ReadonlySet<string> = new Set([
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:PutSecretValue',
  'secretsmanager:GetSecretValue',
]);

/**
 * Actions AWS authorizes only against `Resource = "*"` (they have no resource-level permissions),
 * so an Allow for them cannot be narrowed. None is granted today; add one here, with its reason,
 * if a process ever needs it.
 */
const STAR_ONLY_ACTIONS: ReadonlySet<string> = new Set([
  'sqs:ListQueues', // the CLI's queue listing
  'cloudwatch:PutMetricData', // metrics, if they are ever pushed to CloudWatch
  'sts:GetCallerIdentity', // needs no permission, but takes no resource when named
]);

// --- helpers --------------------------------------------------------------------------------

function text(value: Value | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a literal string, got ${show(value)}`);
  return value;
}

function strings(value: Value | undefined, what: string): string[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${show(value)}`);
  return value.map((item, i) => text(item, `${what}[${i}]`));
}

function label(instance: Instance): string {
  return instance.key === undefined
    ? instance.address
    : `${instance.address}[${JSON.stringify(instance.key)}]`;
}

/** The instance a value refers to, which must be of `type` (e.g. `aws_kms_key`). */
function referenced(value: Value | undefined, type: string): Instance {
  if (!(value instanceof Reference) || !value.address.startsWith(`${type}.`))
    throw new Error(`expected a reference to ${type}, got ${show(value)}`);
  return tf.target(value);
}

/** Instances of `type` by the name they give their resource (`name`, or `bucket` for S3). */
function byName(module: TerraformModule, type: string, attribute = 'name'): Map<string, Instance> {
  const found = new Map<string, Instance>();
  for (const instance of module.instancesOf(type)) {
    const name = text(module.attribute(instance, attribute), `${label(instance)}.${attribute}`);
    expect(found.has(name), `two ${type} named ${name}`).toBe(false);
    found.set(name, instance);
  }
  return found;
}

function only(instances: readonly Instance[], what: string): Instance {
  const [first, ...rest] = instances;
  if (!first || rest.length > 0) throw new Error(`expected exactly one ${what}, found ${instances.length}`);
  return first;
}

const sorted = (items: Iterable<string>): string[] => [...items].sort();

/** The one top-level block `type "name"` (an output, a variable). */
function topLevel(type: string, name: string): Block {
  const found = tf.blocks.filter((b) => b.type === type && b.labels[0] === name);
  const [first, ...rest] = found;
  if (!first || rest.length > 0)
    throw new Error(`expected exactly one ${type} "${name}", found ${found.length}`);
  return first;
}

/** The customer managed key: the one aliased by the manifest's alias. */
function cmk(): Instance {
  const alias = byName(tf, 'aws_kms_alias').get(manifest.kmsKey.alias);
  if (!alias) throw new Error(`no aws_kms_alias named ${manifest.kmsKey.alias}`);
  return referenced(tf.attribute(alias, 'target_key_id'), 'aws_kms_key');
}

/** For a per-bucket resource type: the instance configuring each bucket, by bucket name. */
function perBucket(type: string): Map<string, Instance> {
  const found = new Map<string, Instance>();
  for (const instance of tf.instancesOf(type)) {
    const bucket = referenced(tf.attribute(instance, 'bucket'), 'aws_s3_bucket');
    found.set(text(tf.attribute(bucket, 'bucket'), label(bucket)), instance);
  }
  return found;
}

interface Statement {
  readonly where: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly Value[] | undefined;
  readonly negated: boolean;
  readonly principals: readonly { readonly type: string; readonly identifiers: Value }[];
  readonly conditions: readonly {
    readonly test: string;
    readonly variable: string;
    readonly values: Value;
  }[];
}

/** The statements of an `aws_iam_policy_document` instance, `dynamic` ones included. */
function statements(document: Instance): Statement[] {
  return blocksOf(document.block.body, 'statement').map(({ block, iterator }, i) => {
    const scope = { each: document.each, iterators: iterator ? [iterator] : [] };
    const get = (name: string) => tf.value(block.body, name, scope);
    const sid = get('sid');
    const where = `${label(document)} statement ${typeof sid === 'string' ? sid : i}`;
    const resources = get('resources');
    if (resources !== undefined && !Array.isArray(resources) && !(resources instanceof Unresolved))
      throw new Error(`${where}: resources must be a list`);
    return {
      where,
      effect: text(get('effect') ?? 'Allow', `${where} effect`),
      actions: strings(get('actions'), `${where} actions`),
      resources: resources instanceof Unresolved ? [resources] : resources,
      negated: get('not_actions') !== undefined || get('not_resources') !== undefined,
      principals: blocksOf(block.body, 'principals').map((p) => ({
        type: text(tf.value(p.block.body, 'type', scope), `${where} principals.type`),
        identifiers: tf.value(p.block.body, 'identifiers', scope) ?? null,
      })),
      conditions: blocksOf(block.body, 'condition').map((c) => ({
        test: text(tf.value(c.block.body, 'test', scope), `${where} condition.test`),
        variable: text(tf.value(c.block.body, 'variable', scope), `${where} condition.variable`),
        values: tf.value(c.block.body, 'values', scope) ?? null,
      })),
    };
  });
}

/** Policy documents used by `attribute` of every instance of `type` (all must be documents). */
function documentsUsedBy(type: string, attribute: string): Instance[] {
  return tf.instancesOf(type).map((instance) => {
    const policy = tf.attribute(instance, attribute);
    const document = referenced(policy, 'data.aws_iam_policy_document');
    if (!(policy instanceof Reference) || policy.path.join('.') !== 'json')
      throw new Error(`${label(instance)}.${attribute} must be the json of a policy document`);
    return document;
  });
}

const documents = tf.instancesOf('data.aws_iam_policy_document');
const keyPolicies = new Set(documentsUsedBy('aws_kms_key', 'policy').map(label));
const trustPolicies = new Set(documentsUsedBy('aws_iam_role', 'assume_role_policy').map(label));
const identityPolicies = documents.filter((d) => !keyPolicies.has(label(d)) && !trustPolicies.has(label(d)));
const allowed = (docs: readonly Instance[]) =>
  docs.flatMap(statements).filter((statement) => statement.effect === 'Allow');

// --- the reader itself ----------------------------------------------------------------------

describe('Function: parseHcl', () => {
  it('reads blocks, comments, multi-line objects and interpolations with quotes inside', () => {
    // Prepare
    const source = [
      '# comment',
      'resource "aws_x" "y" { // trailing',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an HCL interpolation, not a JavaScript one
      '  a = "${b.c["k"]}-z" /* inline */',
      '  m = {',
      '    one = 1',
      '    "two:2" = [true, null,',
      '      3]',
      '  }',
      '  nested {}',
      '}',
    ].join('\n');

    // Act
    const [block] = parseHcl(source).blocks;

    // Assess
    expect(block?.type).toBe('resource');
    expect(block?.labels).toEqual(['aws_x', 'y']);
    expect([...(block?.body.attributes.keys() ?? [])]).toEqual(['a', 'm']);
    expect(block?.body.blocks.map((b) => b.type)).toEqual(['nested']);
    expect(block?.body.attributes.get('a')?.kind).toBe('template');
  });

  it.each([
    ['a heredoc', 'x = <<EOF\nhi\nEOF\n'],
    ['a for expression', 'x = [for v in var.l : v]\n'],
    ['a splat', 'x = aws_x.y[*].id\n'],
    ['a template directive', 'x = "%{ if true }y%{ endif }"\n'],
    ['two attributes on one line', 'x = 1 y = 2\n'],
    ['an unterminated block', 'a {\n'],
  ])('rejects %s instead of misreading it', (_, source) => {
    expect(() => parseHcl(source)).toThrow(HclSyntaxError);
  });
});

// --- terraform against the manifest -----------------------------------------------------------

describe('Module: terraform (against src/local-aws/manifest.ts)', () => {
  describe('queues', () => {
    const queues = byName(tf, 'aws_sqs_queue');

    it('declares exactly the queues of the manifest', () => {
      expect(sorted(queues.keys())).toEqual(sorted(manifest.queues.map((q) => q.name)));
    });

    it.each(manifest.queues.map((q) => [q.name, q] as const))(
      '%s has the attributes of the manifest',
      (name, spec) => {
        const queue = queues.get(name);
        if (!queue) throw new Error(`no aws_sqs_queue named ${name}`);
        for (const [attribute, wanted] of Object.entries(spec.attributes)) {
          const argument = QUEUE_ARGUMENTS[attribute];
          if (!argument)
            throw new Error(`manifest attribute ${attribute} has no terraform argument in this test`);
          expect(tf.attribute(queue, argument), `${name} ${argument}`).toBe(Number(wanted));
        }
        // Nor does terraform tune an attribute the manifest leaves at the SQS default.
        for (const [attribute, argument] of Object.entries(QUEUE_ARGUMENTS))
          if (!(attribute in spec.attributes))
            expect(tf.attribute(queue, argument), `${name} ${argument}`).toBeUndefined();
      },
    );

    it.each(manifest.queues.map((q) => [q.name, q] as const))(
      '%s redrives as the manifest says',
      (name, spec) => {
        const queue = queues.get(name);
        if (!queue) throw new Error(`no aws_sqs_queue named ${name}`);
        const redrive = tf.attribute(queue, 'redrive_policy');
        if (!spec.deadLetter) {
          expect(redrive).toBeUndefined();
          return;
        }
        if (!isValueObject(redrive)) throw new Error(`${name}: redrive_policy is ${show(redrive)}`);
        const target = referenced(redrive.deadLetterTargetArn, 'aws_sqs_queue');
        expect(tf.attribute(target, 'name')).toBe(spec.deadLetter.queue);
        expect(redrive.deadLetterTargetArn instanceof Reference && redrive.deadLetterTargetArn.path).toEqual([
          'arn',
        ]);
        expect(redrive.maxReceiveCount).toBe(spec.deadLetter.maxReceiveCount);
      },
    );

    it('encrypts every queue at rest', () => {
      for (const [name, queue] of queues)
        expect(tf.attribute(queue, 'sqs_managed_sse_enabled'), name).toBe(true);
    });
  });

  describe('table', () => {
    const table = only(tf.instancesOf('aws_dynamodb_table'), 'aws_dynamodb_table');
    const spec = manifest.table;

    it('declares the one table with its keys, billed per request', () => {
      expect(tf.attribute(table, 'name')).toBe(spec.name);
      expect(tf.attribute(table, 'hash_key')).toBe(spec.partitionKey);
      expect(tf.attribute(table, 'range_key')).toBe(spec.sortKey);
      expect(tf.attribute(table, 'billing_mode')).toBe('PAY_PER_REQUEST');
    });

    it('declares exactly the global secondary indexes of the manifest, with their projections', () => {
      const declared = blocksOf(table.block.body, 'global_secondary_index').map(({ block }) => {
        const get = (name: string) => tf.value(block.body, name);
        const nonKey = get('non_key_attributes');
        return {
          name: text(get('name'), 'index name'),
          partitionKey: get('hash_key'),
          sortKey: get('range_key'),
          projection: get('projection_type'),
          ...(nonKey === undefined
            ? {}
            : { nonKeyAttributes: sorted(strings(nonKey, 'non_key_attributes')) }),
        };
      });
      const wanted = spec.indexes.map((index) => ({
        name: index.name,
        partitionKey: index.partitionKey,
        sortKey: index.sortKey,
        projection: index.projection,
        ...(index.nonKeyAttributes ? { nonKeyAttributes: sorted(index.nonKeyAttributes) } : {}),
      }));
      const byIndexName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      expect(declared.sort(byIndexName)).toEqual(wanted.sort(byIndexName));
    });

    it('declares every key attribute as a string, and no other attribute', () => {
      const declared = blocksOf(table.block.body, 'attribute').map(({ block }) => [
        text(tf.value(block.body, 'name'), 'attribute name'),
        tf.value(block.body, 'type'),
      ]);
      const keys = new Set([
        spec.partitionKey,
        spec.sortKey,
        ...spec.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
      ]);
      expect(declared.sort()).toEqual(sorted(keys).map((key) => [key, 'S']));
    });

    it('sets TTL, point-in-time recovery and encryption as the manifest does', () => {
      expect(tf.attribute(table, 'ttl', 'attribute_name')).toBe(spec.ttlAttribute);
      expect(tf.attribute(table, 'ttl', 'enabled')).toBe(true);
      expect(tf.attribute(table, 'point_in_time_recovery', 'enabled')).toBe(spec.pointInTimeRecovery);
      expect(tf.attribute(table, 'server_side_encryption', 'enabled')).toBe(spec.encryption);
    });
  });

  describe('buckets', () => {
    const wanted = manifest.buckets.map((b) => b.name);

    it('declares exactly the buckets of the manifest (with the default, empty bucket_suffix)', () => {
      expect(sorted(byName(tf, 'aws_s3_bucket', 'bucket').keys())).toEqual(sorted(wanted));
    });

    it('appends bucket_suffix to every bucket name', () => {
      const suffixed = new TerraformModule(TERRAFORM_DIR, { prefix: PREFIX, bucket_suffix: '-acme' });
      expect(sorted(byName(suffixed, 'aws_s3_bucket', 'bucket').keys())).toEqual(
        sorted(wanted.map((n) => `${n}-acme`)),
      );
    });

    it.each(manifest.buckets.map((b) => [b.name, b] as const))(
      '%s is versioned, encrypted with the CMK and private',
      (name, spec) => {
        const versioning = perBucket('aws_s3_bucket_versioning').get(name);
        const encryption = perBucket('aws_s3_bucket_server_side_encryption_configuration').get(name);
        const publicAccess = perBucket('aws_s3_bucket_public_access_block').get(name);
        if (!versioning || !encryption || !publicAccess)
          throw new Error(`${name} lacks versioning, encryption or its public access block`);

        expect(tf.attribute(versioning, 'versioning_configuration', 'status')).toBe(
          spec.versioning ? 'Enabled' : 'Suspended',
        );
        const byDefault = ['rule', 'apply_server_side_encryption_by_default'];
        expect(tf.attribute(encryption, ...byDefault, 'sse_algorithm')).toBe(spec.encryption);
        expect(
          label(referenced(tf.attribute(encryption, ...byDefault, 'kms_master_key_id'), 'aws_kms_key')),
        ).toBe(label(cmk()));
        expect(tf.attribute(encryption, 'rule', 'bucket_key_enabled')).toBe(true);
        for (const setting of [
          'block_public_acls',
          'block_public_policy',
          'ignore_public_acls',
          'restrict_public_buckets',
        ])
          expect(tf.attribute(publicAccess, setting), setting).toBe(spec.blockPublicAccess);
      },
    );

    it.each(wanted)('%s denies requests without TLS and expires noncurrent versions', (name) => {
      const policy = perBucket('aws_s3_bucket_policy').get(name);
      const lifecycle = perBucket('aws_s3_bucket_lifecycle_configuration').get(name);
      if (!policy || !lifecycle)
        throw new Error(`${name} lacks a bucket policy or a lifecycle configuration`);

      const denials = statements(
        referenced(tf.attribute(policy, 'policy'), 'data.aws_iam_policy_document'),
      ).filter((s) => s.effect === 'Deny');
      expect(
        denials.some((s) =>
          s.conditions.some(
            (c) =>
              c.test === 'Bool' && c.variable === 'aws:SecureTransport' && show(c.values) === '["false"]',
          ),
        ),
      ).toBe(true);
      expect(tf.attribute(lifecycle, 'rule', 'status')).toBe('Enabled');
      expect(
        tf.attribute(lifecycle, 'rule', 'noncurrent_version_expiration', 'noncurrent_days'),
      ).toBeGreaterThan(0);
    });
  });

  describe('KMS key and topic', () => {
    it('aliases the key as the manifest does, with rotation on', () => {
      const key = cmk();
      expect(tf.attribute(key, 'enable_key_rotation')).toBe(manifest.kmsKey.rotation);
      expect(tf.attribute(key, 'description')).toBe(manifest.kmsKey.description);
    });

    it('declares the topic of the manifest, encrypted with the CMK', () => {
      const topics = byName(tf, 'aws_sns_topic');
      expect(sorted(topics.keys())).toEqual([manifest.topic.name]);
      const topic = topics.get(manifest.topic.name);
      if (!topic) throw new Error('no topic');
      expect(label(referenced(tf.attribute(topic, 'kms_master_key_id'), 'aws_kms_key'))).toBe(label(cmk()));
    });
  });

  describe('outputs', () => {
    const env = tf.value(topLevel('output', 'env').body, 'value');

    /** The resource name an output value designates: a name itself, or the resource it refers to. */
    function designated(value: Value | undefined): string {
      if (typeof value === 'string') return value;
      if (!(value instanceof Reference)) throw new Error(`cannot tell what ${show(value)} designates`);
      const target = tf.target(value);
      if (target.address.startsWith('aws_kms_key.')) {
        const aliases = tf.instancesOf('aws_kms_alias').filter((alias) => {
          const key = tf.attribute(alias, 'target_key_id');
          return key instanceof Reference && key.address === target.address;
        });
        return text(tf.attribute(only(aliases, 'alias of the key'), 'name'), 'alias name');
      }
      return text(
        tf.attribute(target, target.address.startsWith('aws_s3_bucket.') ? 'bucket' : 'name'),
        label(target),
      );
    }

    it('names exactly the variables of src/config/schema.ts that locate resources', () => {
      if (!isValueObject(env)) throw new Error(`output env is ${show(env)}`);
      for (const name of Object.keys(env)) expect(Object.keys(ENV_SCHEMA), name).toContain(name);
      expect(sorted(Object.keys(env))).toEqual(
        sorted(['AWS_REGION', 'SCANQ_PREFIX', 'SCANQ_TENANT_ROLE_ARN', ...Object.values(ENV_FOR_NAME)]),
      );
      expect(env.SCANQ_PREFIX).toBe(PREFIX);
    });

    it('turns tenant sessions on with the role bootstrap creates locally', () => {
      if (!isValueObject(env)) throw new Error(`output env is ${show(env)}`);
      const role = referenced(env.SCANQ_TENANT_ROLE_ARN, 'aws_iam_role');
      expect(role.address).toBe('aws_iam_role.tenant_session');
      expect(tf.attribute(role, 'name')).toBe(tenantRoleName(PREFIX));
    });

    it.each(Object.entries(ENV_FOR_NAME))('gives %s the resource the app would use', (field, variable) => {
      if (!isValueObject(env)) throw new Error(`output env is ${show(env)}`);
      expect(designated(env[variable]), variable).toBe(names[field as keyof ResourceNames]);
    });
  });

  describe('prefix', () => {
    it('accepts exactly the prefixes SCANQ_PREFIX accepts', () => {
      const condition = topLevel('variable', 'prefix')
        .body.blocks.find((b) => b.type === 'validation')
        ?.body.attributes.get('condition');
      const regex =
        condition?.kind === 'call' && condition.args[0]?.kind === 'call'
          ? condition.args[0].args[0]
          : undefined;
      if (regex?.kind !== 'literal' || typeof regex.value !== 'string')
        throw new Error('prefix has no regex validation');
      const pattern = new RegExp(regex.value);
      for (const candidate of [
        'scanq',
        'ab',
        'abc',
        'a-b',
        'my-scanq-2',
        'Scanq',
        '1abc',
        'abc-',
        'a'.repeat(32),
        'a'.repeat(33),
      ])
        expect(pattern.test(candidate), candidate).toBe(ENV_SCHEMA.SCANQ_PREFIX.safeParse(candidate).success);
    });
  });
});

// --- least privilege ----------------------------------------------------------------------------

describe('Module: terraform IAM', () => {
  it('gives each process its own role with its own policy, and a producer policy for embedders', () => {
    const processes = ['api', 'scheduler', 'sweeper', 'worker'];
    const ofProcesses = (type: string) => tf.instancesOf(type).filter((i) => i.address === `${type}.process`);
    expect(sorted(ofProcesses('aws_iam_role').map((r) => r.key ?? ''))).toEqual(processes);
    expect(sorted(ofProcesses('aws_iam_policy').map((p) => p.key ?? ''))).toEqual(
      sorted([...processes, 'producer']),
    );
    // Besides them: only the tenant-session role, its policy and its boundary.
    expect(sorted(tf.instancesOf('aws_iam_role').map(label))).toEqual(
      sorted([...processes.map((p) => `aws_iam_role.process["${p}"]`), 'aws_iam_role.tenant_session']),
    );
    expect(
      tf
        .instancesOf('aws_iam_policy')
        .filter((p) => p.key === undefined)
        .map(label),
    ).toEqual(['aws_iam_policy.tenant_session', 'aws_iam_policy.tenant_session_boundary']);
    for (const attachment of tf.instancesOf('aws_iam_role_policy_attachment')) {
      const roleName = text(tf.attribute(attachment, 'role'), `${label(attachment)}.role`);
      const role = byName(tf, 'aws_iam_role').get(roleName);
      const policy = referenced(tf.attribute(attachment, 'policy_arn'), 'aws_iam_policy');
      expect(role?.key, label(attachment)).toBe(policy.key);
    }
    expect(sorted(ofProcesses('aws_iam_role_policy_attachment').map((a) => a.key ?? ''))).toEqual(processes);
  });

  describe('the tenant-session role', () => {
    const role = only(
      tf.instancesOf('aws_iam_role').filter((r) => r.address === 'aws_iam_role.tenant_session'),
      'tenant-session role',
    );
    const policyDocument = (policy: Instance) =>
      referenced(tf.attribute(policy, 'policy'), 'data.aws_iam_policy_document');

    it('is assumed by the worker role (and the named extra principals) only', () => {
      const trust = statements(
        referenced(tf.attribute(role, 'assume_role_policy'), 'data.aws_iam_policy_document'),
      );
      expect(trust).toHaveLength(1);
      expect(trust[0]?.actions).toEqual(['sts:AssumeRole']);
      // With the default (no extra principals): the worker role alone.
      expect(show(trust[0]?.principals[0]?.identifiers)).toBe('[aws_iam_role.process["worker"].arn]');
    });

    it('has a permission boundary that is exactly its attached policy', () => {
      const boundary = referenced(tf.attribute(role, 'permissions_boundary'), 'aws_iam_policy');
      const attachment = only(
        tf.instancesOf('aws_iam_role_policy_attachment').filter((a) => a.address.endsWith('.tenant_session')),
        'attachment of the tenant-session policy',
      );
      const attached = referenced(tf.attribute(attachment, 'policy_arn'), 'aws_iam_policy');
      expect(label(boundary)).toBe('aws_iam_policy.tenant_session_boundary');
      expect(label(policyDocument(boundary))).toBe(label(policyDocument(attached)));
      expect(text(tf.attribute(attachment, 'role'), 'role')).toBe(tenantRoleName(PREFIX));
    });

    it('grants the table (no index), the three buckets and the secrets under the prefix', () => {
      const granted = allowed([
        policyDocument(referenced(tf.attribute(role, 'permissions_boundary'), 'aws_iam_policy')),
      ]);
      const resources = granted.flatMap((s) => (s.resources ?? []).map(show));
      expect(resources.some((r) => r.includes('/index/'))).toBe(false);
      expect(granted.flatMap((s) => s.actions).filter((a) => a.startsWith('dynamodb:'))).not.toContain(
        'dynamodb:Scan',
      );
      expect(
        granted.flatMap((s) => s.actions).some((a) => a.startsWith('sqs:') || a.startsWith('sns:')),
      ).toBe(false);
    });

    it('may be assumed by the worker and no other process', () => {
      for (const process of ['api', 'scheduler', 'sweeper', 'worker', 'producer']) {
        const policy = only(
          tf
            .instancesOf('aws_iam_policy')
            .filter((p) => p.address === 'aws_iam_policy.process' && p.key === process),
          process,
        );
        const document = policyDocument(policy);
        const sources = show(tf.attribute(document, 'source_policy_documents') ?? null);
        expect(sources.includes('assume_tenant_sessions'), process).toBe(process === 'worker');
      }
    });
  });

  it('allows no "*" action and no "*" resource in the role policies (but for star-only actions)', () => {
    const statementsChecked = allowed(identityPolicies);
    expect(statementsChecked.length).toBeGreaterThan(10);
    for (const statement of statementsChecked) {
      expect(statement.negated, `${statement.where}: NotAction/NotResource`).toBe(false);
      expect(statement.principals, `${statement.where}: principals in an identity policy`).toEqual([]);
      for (const action of statement.actions) expect(action, statement.where).not.toContain('*');
      if (!statement.resources) throw new Error(`${statement.where}: no resources`);
      const starOnly = statement.actions.every((action) => STAR_ONLY_ACTIONS.has(action));
      for (const resource of statement.resources) {
        if (starOnly) continue;
        const resourceText = show(resource);
        expect(resourceText, statement.where).not.toMatch(/^"?\*"?$/);
        expect(resourceText, `${statement.where}: a whole service or account`).not.toMatch(/:\*"?$/);
      }
    }
  });

  it('lets roles be assumed only by the named principals', () => {
    const trust = allowed(documents.filter((d) => trustPolicies.has(label(d))));
    expect(trust.length).toBeGreaterThan(0);
    for (const statement of trust) {
      expect(statement.actions, statement.where).toEqual(['sts:AssumeRole']);
      expect(statement.resources, statement.where).toBeUndefined();
      for (const principal of statement.principals) {
        expect(principal.type, statement.where).not.toBe('*');
        expect(show(principal.identifiers), statement.where).not.toContain('"*"');
      }
    }
  });

  it('keeps "*" only in the key policy, where it means this key, and grants it only to the account', () => {
    for (const statement of allowed(documents.filter((d) => keyPolicies.has(label(d))))) {
      expect(statement.resources, statement.where).toEqual(['*']);
      expect(
        statement.principals.map((p) => p.type),
        statement.where,
      ).toEqual(['AWS']);
      for (const principal of statement.principals)
        expect(show(principal.identifiers), statement.where).toMatch(/^\[arn:.*:iam::\$\{[^}]+\}:root\]$/);
    }
  });

  it('uses the KMS key only through the service that asks for it', () => {
    const kmsGrants = allowed(identityPolicies).filter((s) => s.actions.some((a) => a.startsWith('kms:')));
    expect(kmsGrants.length).toBeGreaterThan(0);
    for (const statement of kmsGrants) {
      expect(
        statement.actions.every((a) => a.startsWith('kms:')),
        statement.where,
      ).toBe(true);
      expect(
        statement.conditions.some((c) => c.test === 'StringEquals' && c.variable === 'kms:ViaService'),
        `${statement.where}: kms:ViaService`,
      ).toBe(true);
      for (const resource of statement.resources ?? [])
        expect(label(referenced(resource, 'aws_kms_key')), statement.where).toBe(label(cmk()));
    }
  });

  it('touches secrets only under the prefix, and their values only when tenant-tagged', () => {
    const tagKey = text(
      tf.evaluate({ kind: 'traversal', root: 'var', steps: [{ attr: 'tenant_tag_key' }] }),
      'tag',
    );
    const secretGrants = allowed(identityPolicies).filter((s) =>
      s.actions.some((a) => a.startsWith('secretsmanager:')),
    );
    const via = (s: Statement) => s.conditions.find((c) => c.variable === 'kms:ViaService');
    const secretKeyGrants = allowed(identityPolicies).filter((s) =>
      show(via(s)?.values).includes('secretsmanager.'),
    );
    expect(secretGrants.length).toBeGreaterThan(0);
    expect(secretKeyGrants.length).toBeGreaterThan(0);
    for (const statement of secretGrants) {
      for (const resource of statement.resources ?? [])
        expect(show(resource), statement.where).toMatch(new RegExp(`:secret:${names.secretsPrefix}/\\*$`));
      for (const action of statement.actions)
        expect([...SECRET_VALUE_ACTIONS, 'secretsmanager:DescribeSecret'], statement.where).toContain(action);
      if (!statement.actions.some((action) => SECRET_VALUE_ACTIONS.has(action))) continue;
      expect(
        statement.conditions.some(
          (c) => c.test === 'Null' && c.variable.endsWith(`Tag/${tagKey}`) && show(c.values) === '["false"]',
        ),
        `${statement.where}: tenant tag condition`,
      ).toBe(true);
    }
    for (const statement of secretKeyGrants) {
      const context = statement.conditions.find((c) => c.variable === 'kms:EncryptionContext:SecretARN');
      expect(show(context?.values), statement.where).toMatch(
        new RegExp(`:secret:${names.secretsPrefix}/\\*\\]$`),
      );
    }
  });
});
