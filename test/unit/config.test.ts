import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration } from '../../src/config/index.js';
import { ENV_SCHEMA } from '../../src/config/schema.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('Function: loadConfig', () => {
  it('knows no variable that injects faults or counts calls (those plug in from tools/ only)', () => {
    // Prepare: what the tools' instrumented entry point reads.
    const instrumentEnv = { SCANQ_FAULT_RATE: '1', SCANQ_FAULT_MATCH: '.*', SCANQ_CALL_STATS: '/tmp/x.json' };

    // Act
    const names = Object.keys(ENV_SCHEMA);
    const config = loadConfig(instrumentEnv);

    // Assess: not in the schema, and nothing of them reaches the loaded config.
    expect(names.filter((name) => /FAULT|CALL_STATS|STATS/.test(name))).toEqual([]);
    expect(JSON.stringify(config)).not.toMatch(/fault|x\.json/i);
    expect(config).toEqual(loadConfig({}));
  });

  it('applies safe defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.region).toBe('us-east-1');
    expect(config.prefix).toBe('scanq');
    expect(config.local).toBe(false);
    expect(config.localCredentials).toBeUndefined();
    expect(config.resources.table).toBe('scanq-data');
    expect(config.resources.queueUrl).toBeUndefined();
    expect(config.producer).toEqual({
      messageGroupId: true,
      rescanAfterMs: 12 * 3_600_000,
      safetyNetAfterMs: 2 * 86_400_000,
      jobTtlMs: 7 * 86_400_000,
    });
  });

  it('routes each service to its own endpoint when a per-service variable is set', () => {
    const config = loadConfig({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
    });
    expect(config.endpoints.sqs).toBe('http://127.0.0.1:9324');
    expect(config.endpoints.dynamodb).toBe('http://127.0.0.1:5000');
    expect(config.local).toBe(true);
    expect(config.localCredentials).toEqual({ accessKeyId: 'test', secretAccessKey: 'test' });
  });

  it('derives every resource name from the prefix, and lets each be overridden', () => {
    const config = loadConfig({ SCANQ_PREFIX: 'acme-prod', SCANQ_TABLE: 'shared-table' });
    expect(config.resources.table).toBe('shared-table');
    expect(config.resources.queue).toBe('acme-prod-jobs');
    expect(config.resources.dlq).toBe('acme-prod-jobs-dlq');
    expect(config.resources.kmsKey).toBe('alias/acme-prod');
  });

  it.each([
    [{ SCANQ_QUEUE_URL: 'not a url' }, ['SCANQ_QUEUE_URL: must be an http(s) URL']],
    [{ AWS_ENDPOINT_URL: 'ftp://x' }, ['AWS_ENDPOINT_URL: must be an http(s) URL']],
    [{ SCANQ_PREFIX: 'Bad_Prefix' }, [expect.stringMatching(/^SCANQ_PREFIX: must be 3-32 characters/)]],
    [
      { SCANQ_RESCAN_AFTER: 'soon' },
      [expect.stringMatching(/^SCANQ_RESCAN_AFTER: must be a positive duration/)],
    ],
    [{ SCANQ_MESSAGE_GROUP_ID: 'maybe' }, ['SCANQ_MESSAGE_GROUP_ID: must be true or false']],
    [{ SCANQ_INDEX_SHARDS: '0' }, ['SCANQ_INDEX_SHARDS: must be between 1 and 64']],
    [{ LOG_LEVEL: 'loud' }, [expect.stringMatching(/^LOG_LEVEL: must be one of/)]],
    [{ AWS_REGION: 'mars' }, [expect.stringMatching(/^AWS_REGION: must be an AWS region/)]],
  ])('rejects %o naming the variable and the rule', (env, expected) => {
    expect(problemsOf(env)).toEqual(expected);
  });

  it('reports every problem at once, one line per variable', () => {
    const problems = problemsOf({ SCANQ_QUEUE_URL: 'x', LOG_LEVEL: 'loud', SCANQ_SWEEP_INTERVAL: '-1s' });
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'SCANQ_QUEUE_URL',
      'SCANQ_SWEEP_INTERVAL',
      'LOG_LEVEL',
    ]);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ SCANQ_QUEUE_URL: '' }).resources.queueUrl).toBeUndefined();
  });
});

describe('Function: parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['12h', 43_200_000],
    ['2d', 172_800_000],
    ['1500', 1_500],
    ['1.5s', 1_500],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '5 minutes', '-1s', '1w'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
