import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { JobCredentials, RunContext } from '../../capability.js';

/** Clients acting in the tenant's account, with the tenant's credentials (never the worker's). */
export interface PostureClients {
  readonly sts: STSClient;
  readonly s3: S3Client;
  readonly iam: IAMClient;
  /** One EC2 client per region asked for. */
  ec2(region: string): EC2Client;
  destroy(): void;
}

/**
 * Builds the account's clients from the job's credentials and the worker's endpoints (so dev and
 * tests talk to the local endpoint). SDK retries are off: a throttled call bubbles up and the
 * worker retries the attempt with backoff, which is the one retry policy jobs have.
 */
export function postureClients(ctx: Pick<RunContext, 'aws'>, credentials: JobCredentials): PostureClients {
  const { region, endpoints } = ctx.aws;
  const base = (endpoint: string | undefined, clientRegion = region) => ({
    region: clientRegion,
    credentials,
    maxAttempts: 1,
    ...(endpoint ? { endpoint } : {}),
  });
  const sts = new STSClient(base(endpoints.sts));
  const s3 = new S3Client({
    ...base(endpoints.s3),
    // Local endpoints need path style; on AWS a bucket in another region answers with a redirect.
    forcePathStyle: endpoints.s3 !== undefined,
    followRegionRedirects: true,
  });
  const iam = new IAMClient(base(endpoints.iam));
  const ec2ByRegion = new Map<string, EC2Client>();
  return {
    sts,
    s3,
    iam,
    ec2(ec2Region) {
      let client = ec2ByRegion.get(ec2Region);
      if (!client) {
        client = new EC2Client(base(endpoints.ec2, ec2Region));
        ec2ByRegion.set(ec2Region, client);
      }
      return client;
    },
    destroy() {
      for (const client of [sts, s3, iam, ...ec2ByRegion.values()]) client.destroy();
    },
  };
}
