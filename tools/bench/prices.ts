/**
 * The one table of AWS list prices the benchmark turns calls into dollars with.
 * Region us-east-1, on-demand / pay-per-request, no free tier, no volume tiers, storage and data
 * transfer left out (they do not grow with the job count the way requests do).
 * Re-check the sources and update `CHECKED` when AWS changes a price.
 */

/** When the prices below were last compared with the pages they cite. */
export const CHECKED = '2026-11-23';

/** Region the prices are for. */
export const PRICE_REGION = 'us-east-1';

/** One billable unit and what a million of them cost. */
export interface Price {
  /** US dollars per million units. */
  readonly usdPerMillion: number;
  /** What one unit is. */
  readonly unit: string;
  /** The page the price was read from. */
  readonly source: string;
}

/** Billable units scanq's calls map to. */
export type PriceKey =
  | 'sqsRequest'
  | 'dynamodbWriteUnit'
  | 'dynamodbReadUnit'
  | 'snsRequest'
  | 's3Put'
  | 's3Get'
  | 'secretsManagerCall'
  | 'kmsRequest';

export const PRICES: Readonly<Record<PriceKey, Price>> = {
  sqsRequest: {
    usdPerMillion: 0.4,
    unit: 'SQS standard-queue request; every 64 KB chunk of a request payload is billed as one request (a batch of 10 small messages is one)',
    source: 'https://aws.amazon.com/sqs/pricing/',
  },
  dynamodbWriteUnit: {
    usdPerMillion: 0.625,
    unit: 'DynamoDB on-demand write request unit (Standard table class): one per started 1 KB of item written, in the table and again in every index the write touches',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  dynamodbReadUnit: {
    usdPerMillion: 0.125,
    unit: 'DynamoDB on-demand read request unit: one strongly consistent read of up to 4 KB (an eventually consistent read is half)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  snsRequest: {
    usdPerMillion: 0.5,
    unit: 'SNS standard-topic API request (Publish): every 64 KB chunk is one request; deliveries to SQS are free',
    source: 'https://aws.amazon.com/sns/pricing/',
  },
  s3Put: {
    usdPerMillion: 5,
    unit: 'S3 Standard PUT, COPY, POST or LIST request ($0.005 per 1,000)',
    source: 'https://aws.amazon.com/s3/pricing/',
  },
  s3Get: {
    usdPerMillion: 0.4,
    unit: 'S3 Standard GET, HEAD or other read request ($0.0004 per 1,000)',
    source: 'https://aws.amazon.com/s3/pricing/',
  },
  secretsManagerCall: {
    usdPerMillion: 5,
    unit: 'Secrets Manager API call ($0.05 per 10,000)',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
  },
  kmsRequest: {
    usdPerMillion: 3,
    unit: 'KMS request to a symmetric customer managed key ($0.03 per 10,000)',
    source: 'https://aws.amazon.com/kms/pricing/',
  },
};

/** S3 operations billed at the PUT rate; other S3 reads at the GET rate; deletes are free. */
const S3_PUT_RATE = new Set([
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'UploadPart',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'CompleteMultipartUpload',
]);
const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);

/**
 * The price unit of one request `Service.Operation`, or `undefined` when the request itself is
 * free (STS, S3 deletes) or billed by capacity instead (DynamoDB: see the write and read units).
 */
export function priceKeyOf(call: string): PriceKey | undefined {
  const [service = '', operation = ''] = call.split('.');
  switch (service) {
    case 'SQS':
      return 'sqsRequest';
    case 'SNS':
      return 'snsRequest';
    case 'SecretsManager':
      return 'secretsManagerCall';
    case 'KMS':
      return 'kmsRequest';
    case 'S3':
      if (S3_FREE.has(operation)) return undefined;
      return S3_PUT_RATE.has(operation) ? 's3Put' : 's3Get';
    default:
      return undefined;
  }
}
