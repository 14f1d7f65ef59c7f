import { CreateTopicCommand, GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Manifest } from '../manifest.js';
import { isAwsError, type StepLog } from './report.js';

/** Creates the events topic (encrypted with the CMK) unless it exists; returns its ARN. */
export async function ensureTopic(
  sns: SNSClient,
  spec: Manifest['topic'],
  expectedArn: string,
  kmsKeyArn: string,
  log: StepLog,
): Promise<string> {
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: expectedArn }));
    log.add({ resource: 'topic', name: spec.name, action: 'unchanged' });
    return expectedArn;
  } catch (error) {
    if (!isAwsError(error, 'NotFoundException', 'NotFound')) throw error;
  }
  const out = await sns.send(
    new CreateTopicCommand({ Name: spec.name, Attributes: { KmsMasterKeyId: kmsKeyArn } }),
  );
  if (!out.TopicArn) throw new Error(`CreateTopic ${spec.name} returned no ARN`);
  log.add({ resource: 'topic', name: spec.name, action: 'created' });
  return out.TopicArn;
}
