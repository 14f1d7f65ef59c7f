import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { Manifest } from '../manifest.js';
import { isAwsError, type StepLog } from './report.js';

async function keyArnOfAlias(kms: KMSClient, alias: string): Promise<string | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
  } catch (error) {
    if (isAwsError(error, 'NotFoundException')) return undefined;
    throw error;
  }
}

/** Creates the customer managed key with its alias and yearly rotation; returns the key ARN. */
export async function ensureKmsKey(kms: KMSClient, spec: Manifest['kmsKey'], log: StepLog): Promise<string> {
  const existing = await keyArnOfAlias(kms, spec.alias);
  if (existing) {
    const rotation = await kms.send(new GetKeyRotationStatusCommand({ KeyId: existing }));
    if (spec.rotation && !rotation.KeyRotationEnabled) {
      await kms.send(new EnableKeyRotationCommand({ KeyId: existing }));
      log.add({ resource: 'kms-key', name: spec.alias, action: 'updated', detail: 'rotation' });
    } else {
      log.add({ resource: 'kms-key', name: spec.alias, action: 'unchanged' });
    }
    return existing;
  }
  const created = await kms.send(
    new CreateKeyCommand({ Description: spec.description, Tags: [{ TagKey: 'app', TagValue: 'scanq' }] }),
  );
  const arn = created.KeyMetadata?.Arn;
  const keyId = created.KeyMetadata?.KeyId;
  if (!arn || !keyId) throw new Error('CreateKey returned no key');
  await kms.send(new CreateAliasCommand({ AliasName: spec.alias, TargetKeyId: keyId }));
  if (spec.rotation) await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
  log.add({ resource: 'kms-key', name: spec.alias, action: 'created' });
  return arn;
}
