import type { TestProject } from 'vitest/node';
import { type LocalAws, type Profile, startLocalAws, stopLocalAws } from '../../src/local-aws/index.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** Environment pointing at the local AWS endpoint for this run. */
    awsEnv: Record<string, string>;
  }
}

/**
 * Starts the embedded endpoint for the integration project, unless AWS_ENDPOINT_URL is set
 * (then the same tests run against LocalStack or whatever it names). SCANQ_TEST_PROFILE=load
 * runs them on ElasticMQ + DynamoDB Local + moto.
 */
export default async function setup(project: TestProject) {
  const env = process.env;
  if (env.AWS_ENDPOINT_URL) {
    const passed = Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => /^AWS_/.test(e[0]) && e[1] !== undefined),
    );
    project.provide('awsEnv', passed);
    return;
  }
  const profile = (env.SCANQ_TEST_PROFILE ?? 'default') as Profile;
  const mode = (env.SCANQ_MOTO ?? 'auto') as 'auto' | 'venv' | 'system';
  const aws: LocalAws = await startLocalAws({
    profile,
    mode,
    detached: false,
    say: (line) => process.stderr.write(`[local-aws] ${line}\n`),
  });
  for (const note of aws.notes) process.stderr.write(`[local-aws] ${note}\n`);
  project.provide('awsEnv', { ...aws.env });
  return async () => {
    await stopLocalAws(aws);
  };
}
