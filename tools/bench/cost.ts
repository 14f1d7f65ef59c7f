/** Cost arithmetic: requests and capacity per job → dollars per million jobs. Pure. */
import { PRICES, type PriceKey, priceKeyOf } from './prices.js';

/** Key under which the index share of an operation's capacity is kept (`PutItem (indexes)`). */
export const INDEX_SHARE = ' (indexes)';

/** What one job costs in requests and DynamoDB capacity (averages over a run). */
export interface CostInput {
  /** Requests per job keyed `Service.Operation` (retries included: AWS bills every attempt). */
  readonly callsPerJob: Readonly<Record<string, number>>;
  /**
   * DynamoDB capacity units per job keyed by operation, as the endpoint reported them (table and
   * indexes). Undefined when the endpoint reports none: then every write counts 1 unit and every
   * read half a unit, which is a floor (no index maintenance, items ≤ 1 KB).
   */
  readonly capacityPerJob: Readonly<Record<string, number>> | undefined;
}

/** One line of the bill. */
export interface CostLine {
  readonly item: string;
  /** Units per job (requests, or capacity units for DynamoDB). */
  readonly unitsPerJob: number;
  readonly usdPerMillionJobs: number;
  /** False for the S3 result write, which the engine reports apart. */
  readonly engine: boolean;
}

/** The bill of a million jobs. */
export interface Cost {
  readonly lines: readonly CostLine[];
  /** Everything but the S3 result write. */
  readonly engineUsd: number;
  /** The S3 PUT of the result object. */
  readonly resultUsd: number;
  readonly totalUsd: number;
  /** True when DynamoDB capacity was reported by the endpoint, false when it was assumed. */
  readonly capacityMeasured: boolean;
  /**
   * True when the endpoint itemized index capacity (DynamoDB Local, real AWS). False on moto, which
   * reports the table's share only: then the write units leave out index maintenance (a floor).
   */
  readonly indexesReported: boolean;
}

const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/** The S3 request that stores a job's result: reported apart from the engine's overhead. */
export const RESULT_WRITE = 'S3.PutObject';

const LABELS: Record<PriceKey, string> = {
  sqsRequest: 'SQS requests',
  dynamodbWriteUnit: 'DynamoDB write units',
  dynamodbReadUnit: 'DynamoDB read units',
  snsRequest: 'SNS requests',
  s3Put: 'S3 other PUT/LIST',
  s3Get: 'S3 GET/HEAD',
  secretsManagerCall: 'Secrets Manager calls',
  kmsRequest: 'KMS requests',
};

/** DynamoDB write and read units per job, measured or (without a measurement) assumed. */
export function dynamoUnits(input: CostInput): { write: number; read: number } {
  let write = 0;
  let read = 0;
  for (const [call, n] of Object.entries(input.callsPerJob)) {
    const [service, operation = ''] = call.split('.');
    if (service !== 'DynamoDB') continue;
    const measured = input.capacityPerJob ? (input.capacityPerJob[operation] ?? 0) : undefined;
    const units = measured ?? (WRITE_OPERATIONS.has(operation) ? n : n / 2);
    if (WRITE_OPERATIONS.has(operation)) write += units;
    else read += units;
  }
  return { write, read };
}

/** Dollars per million jobs, itemized; the S3 result PUT is its own line, outside the engine's share. */
export function costPerMillionJobs(input: CostInput): Cost {
  const units = new Map<PriceKey, number>();
  let resultPuts = 0;
  for (const [call, n] of Object.entries(input.callsPerJob)) {
    if (call === RESULT_WRITE) {
      resultPuts += n;
      continue;
    }
    const key = priceKeyOf(call);
    if (key) units.set(key, (units.get(key) ?? 0) + n);
  }
  const dynamo = dynamoUnits(input);
  units.set('dynamodbWriteUnit', dynamo.write);
  units.set('dynamodbReadUnit', dynamo.read);
  const lines: CostLine[] = [];
  for (const key of Object.keys(LABELS) as PriceKey[]) {
    const perJob = units.get(key) ?? 0;
    if (perJob === 0) continue;
    lines.push({
      item: LABELS[key],
      unitsPerJob: perJob,
      usdPerMillionJobs: perJob * PRICES[key].usdPerMillion,
      engine: true,
    });
  }
  lines.push({
    item: 'S3 result PUT',
    unitsPerJob: resultPuts,
    usdPerMillionJobs: resultPuts * PRICES.s3Put.usdPerMillion,
    engine: false,
  });
  const engineUsd = lines.filter((l) => l.engine).reduce((s, l) => s + l.usdPerMillionJobs, 0);
  const resultUsd = lines.filter((l) => !l.engine).reduce((s, l) => s + l.usdPerMillionJobs, 0);
  return {
    lines,
    engineUsd,
    resultUsd,
    totalUsd: engineUsd + resultUsd,
    capacityMeasured: input.capacityPerJob !== undefined,
    indexesReported: Object.keys(input.capacityPerJob ?? {}).some((k) => k.endsWith(INDEX_SHARE)),
  };
}

/** Bytes of a number as DynamoDB sizes it: about one byte per two significant digits, plus one. */
function numberBytes(n: number): number {
  const digits = String(Math.abs(n))
    .replace(/e.*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return numberBytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((s: number, v) => s + 1 + valueBytes(v), 0);
  if (value instanceof Set) return [...value].reduce((s: number, v) => s + valueBytes(v), 0);
  if (typeof value === 'object') {
    return (
      3 + Object.entries(value).reduce((s, [k, v]) => s + 1 + Buffer.byteLength(k, 'utf8') + valueBytes(v), 0)
    );
  }
  return Buffer.byteLength(String(value), 'utf8');
}

/**
 * Approximate stored size of an item by DynamoDB's rules (attribute names + values; lists and maps
 * 3 bytes plus 1 per element). A write consumes one unit per started KB of this, per table or index.
 */
export function itemSizeBytes(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce(
    (s, [name, value]) => s + Buffer.byteLength(name, 'utf8') + valueBytes(value),
    0,
  );
}
