import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { coerceError, ScanqError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { chunk, SQS_BATCH_SIZE } from '../producer/index.js';

/** Message attributes scanq adds to a message it parks in the DLQ; removed again on redrive. */
export const DLQ_ATTRIBUTE = { rejected: 'scanq-rejected', sourceQueue: 'scanq-source-queue' } as const;

/** SQS refuses a message with more message attributes than this. */
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;

/** Longest `scanq-rejected` value, in characters (code points). */
export const REJECTED_REASON_MAX = 256;

/** Longest `bodyPreview` of a listed entry, in characters (code points). */
export const BODY_PREVIEW_MAX = 200;

/** Base of DLQ errors. */
export class DlqError extends ScanqError {}

/** The message lacks what a move needs (a receipt handle, a body): nothing was sent or deleted. */
export class UnmovableMessageError extends DlqError {
  constructor(messageId: string | undefined, missing: string) {
    super('dlq.unmovable', `message ${messageId ?? '(no id)'} cannot be moved: it has no ${missing}`);
  }
}

/** Sending the copy to the DLQ failed: nothing changed, the message is still on its queue. */
export class DlqSendError extends DlqError {
  constructor(messageId: string | undefined, cause: unknown) {
    super('dlq.sendFailed', `message ${messageId ?? '(no id)'} could not be sent to the DLQ`, { cause });
  }
}

/**
 * The copy is in the DLQ but the original could not be deleted: it comes back on its queue and is
 * rejected again, so the DLQ holds a duplicate. Nothing is lost.
 */
export class DlqDeleteError extends DlqError {
  constructor(messageId: string | undefined, cause: unknown) {
    super('dlq.deleteFailed', `message ${messageId ?? '(no id)'} is in the DLQ but was not deleted`, {
      cause,
    });
  }
}

/** A receive from a queue failed (listing or redrive stopped; what was held is released). */
export class DlqReceiveError extends DlqError {
  constructor(queueUrl: string, cause: unknown) {
    super('dlq.receiveFailed', `could not receive from ${queueUrl}`, { cause });
  }
}

/** The jobs queue and its dead-letter queue. */
export interface DlqQueues {
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

type Attributes = Record<string, MessageAttributeValue>;

/** Cuts to `max` code points (never half a surrogate pair). */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text.slice(0, max * 2))
    .slice(0, max)
    .join('');
}

/**
 * The `scanq-rejected` value: characters SQS refuses in attribute values become U+FFFD, cut to
 * {@link REJECTED_REASON_MAX} characters; an empty reason becomes `unspecified` (SQS refuses empty values).
 */
export function rejectionReason(reason: string): string {
  const clean = reason.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
  return truncate(clean, REJECTED_REASON_MAX) || 'unspecified';
}

/**
 * Copies attributes as SQS accepts them on a send (the reserved list fields a receive may return
 * are dropped), without scanq's own DLQ attributes.
 */
export function userAttributes(attributes: Attributes | undefined): Attributes {
  const ours: readonly string[] = Object.values(DLQ_ATTRIBUTE);
  const out: Attributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (ours.includes(name) || !value.DataType) continue;
    out[name] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  return out;
}

/**
 * Attributes of the DLQ copy of a rejected message: the user's, then `scanq-rejected` and
 * `scanq-source-queue`. SQS allows {@link SQS_MAX_MESSAGE_ATTRIBUTES}: when the user's leave no room,
 * ours are dropped first (`scanq-source-queue` before `scanq-rejected`) and named in `dropped`;
 * the user's are never dropped. Pure.
 */
export function rejectedAttributes(
  original: Attributes | undefined,
  reason: string,
  sourceQueueUrl: string,
): { readonly attributes: Attributes; readonly dropped: readonly string[] } {
  const attributes = userAttributes(original);
  const ours: [string, string][] = [
    [DLQ_ATTRIBUTE.rejected, rejectionReason(reason)],
    [DLQ_ATTRIBUTE.sourceQueue, sourceQueueUrl],
  ];
  const room = Math.max(0, SQS_MAX_MESSAGE_ATTRIBUTES - Object.keys(attributes).length);
  for (const [name, value] of ours.slice(0, room))
    attributes[name] = { DataType: 'String', StringValue: value };
  return { attributes, dropped: ours.slice(room).map(([name]) => name) };
}

/**
 * Parks a message that can never be processed (unparseable, wrong schema) in the DLQ: sends a
 * copy with the original body and message attributes plus `scanq-rejected` = `reason` (see
 * {@link rejectionReason}) and `scanq-source-queue` = `queueUrl`, then deletes the original. Send
 * comes before delete: a crash in between leaves a duplicate, never a loss. SQS allows 10 message
 * attributes; when the original has 9 only `scanq-rejected` is added, with 10 neither is (the
 * user's attributes are never dropped). The message must have been received with
 * `MessageAttributeNames: ['All']`, or its attributes are not there to copy.
 *
 * @throws {UnmovableMessageError} no receipt handle or body; nothing done.
 * @throws {DlqSendError} the send failed; nothing changed.
 * @throws {DlqDeleteError} sent but not deleted; the original comes back.
 */
export async function moveToDlq(
  sqs: SQSClient,
  queues: DlqQueues,
  message: Message,
  reason: string,
): Promise<void> {
  if (!message.ReceiptHandle) throw new UnmovableMessageError(message.MessageId, 'receipt handle');
  if (!message.Body) throw new UnmovableMessageError(message.MessageId, 'body');
  const { attributes } = rejectedAttributes(message.MessageAttributes, reason, queues.queueUrl);
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queues.dlqUrl,
        MessageBody: message.Body,
        MessageAttributes: attributes,
      }),
    );
  } catch (error) {
    throw new DlqSendError(message.MessageId, error);
  }
  try {
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queues.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    throw new DlqDeleteError(message.MessageId, error);
  }
}

/** One message in the DLQ, as listed. */
export interface DlqEntry {
  readonly messageId: string;
  /** When SQS accepted the message (RFC 3339); for a `moveToDlq` copy, when it was parked. Empty if unknown. */
  readonly sentAt: string;
  /** `ApproximateReceiveCount`, including the receive that listed it (and earlier listings). */
  readonly receiveCount: number;
  /** From the `tenant` attribute, else the body's `tenant` field. */
  readonly tenant?: string;
  /** From the `capability` attribute, else the body's `capability` field. */
  readonly capability?: string;
  /** The body's `key` field. */
  readonly key?: string;
  /** `scanq-rejected`: why a worker parked it; absent for messages moved by the redrive policy. */
  readonly rejectedReason?: string;
  /** The first {@link BODY_PREVIEW_MAX} characters of the body. */
  readonly bodyPreview: string;
}

function bodyFields(body: string | undefined): Record<string, unknown> {
  try {
    const json: unknown = JSON.parse(body ?? '');
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? { ...json } : {};
  } catch {
    return {};
  }
}

/** Describes a received DLQ message. Pure; never throws. */
export function toDlqEntry(message: Message): DlqEntry {
  const body = bodyFields(message.Body);
  const text = (name: string): string | undefined => {
    const value = message.MessageAttributes?.[name]?.StringValue ?? body[name];
    return typeof value === 'string' ? value : undefined;
  };
  const tenant = text('tenant');
  const capability = text('capability');
  const key = typeof body.key === 'string' ? body.key : undefined;
  const rejectedReason = message.MessageAttributes?.[DLQ_ATTRIBUTE.rejected]?.StringValue;
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? '',
    sentAt: Number.isFinite(sent) ? new Date(sent).toISOString() : '',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    ...(tenant !== undefined ? { tenant } : {}),
    ...(capability !== undefined ? { capability } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(rejectedReason !== undefined ? { rejectedReason } : {}),
    bodyPreview: truncate(message.Body ?? '', BODY_PREVIEW_MAX),
  };
}

/** How DLQ messages are read. */
export interface ReceiveOptions {
  /** Seconds a received message stays hidden while the run holds it; all are reset to 0 at the end. Default 30. */
  readonly visibilityTimeout?: number;
  /** Long-poll seconds per receive (0 = short poll, which may miss messages on real SQS). Default 1. */
  readonly waitTimeSeconds?: number;
  /** Where a failed visibility reset is reported. Default: not reported. */
  readonly log?: Logger;
}

/** A received message that can be held and released. */
type Held = Message & { MessageId: string; ReceiptHandle: string };

async function receive(sqs: SQSClient, queueUrl: string, count: number, options: ReceiveOptions) {
  try {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(SQS_BATCH_SIZE, count)),
        VisibilityTimeout: options.visibilityTimeout ?? 30,
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    return (out.Messages ?? []).filter((m): m is Held => !!m.MessageId && !!m.ReceiptHandle);
  } catch (error) {
    throw new DlqReceiveError(queueUrl, error);
  }
}

/** Makes held messages visible again. Best effort: one it misses reappears when its visibility ends. */
async function release(sqs: SQSClient, queueUrl: string, held: Map<string, string>, log?: Logger) {
  await Promise.all(
    chunk([...held.values()], SQS_BATCH_SIZE).map(async (handles) => {
      try {
        const out = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: handles.map((h, i) => ({ Id: String(i), ReceiptHandle: h, VisibilityTimeout: 0 })),
          }),
        );
        if (out.Failed?.length)
          log?.warn({ queue: queueUrl, failed: out.Failed.length }, 'visibility reset failed');
      } catch (error) {
        log?.warn({ queue: queueUrl, error: coerceError(error) }, 'visibility reset failed');
      }
    }),
  );
}

/** Options of {@link listDlq}. */
export interface ListDlqOptions extends ReceiveOptions {
  /** Most entries returned. Default 100. */
  readonly max?: number;
}

/**
 * Lists DLQ messages without consuming them: receives hold them hidden (so the next receive
 * returns others), then all are made visible again. De-duplicated by message id; stops at `max`,
 * at an empty receive, or at a receive that returns only messages already seen. Messages another
 * reader holds in flight are not listed. Each listing adds one to a message's receive count.
 */
export async function listDlq(
  sqs: SQSClient,
  dlqUrl: string,
  options: ListDlqOptions = {},
): Promise<DlqEntry[]> {
  const max = options.max ?? 100;
  const entries = new Map<string, DlqEntry>();
  const held = new Map<string, string>();
  try {
    while (entries.size < max) {
      const messages = await receive(sqs, dlqUrl, max - entries.size, options);
      let fresh = 0;
      for (const m of messages) {
        held.set(m.MessageId, m.ReceiptHandle);
        if (entries.has(m.MessageId)) continue;
        entries.set(m.MessageId, toDlqEntry(m));
        fresh++;
      }
      if (fresh === 0) break;
    }
  } finally {
    await release(sqs, dlqUrl, held, options.log);
  }
  return [...entries.values()].slice(0, max);
}

/** Options of {@link redriveDlq}. */
export interface RedriveOptions extends ReceiveOptions {
  /** Most messages sent back (moved, failed or duplicated). Default: all. */
  readonly max?: number;
  /** Only entries it accepts are sent back; the rest stay in the DLQ. Default: all. */
  readonly filter?: (entry: DlqEntry) => boolean;
  /** Send `MessageGroupId = tenant` (SQS fair queues) when the tenant is known. Default false. */
  readonly messageGroupId?: boolean;
}

/** What a redrive did. */
export interface RedriveReport {
  /** Sent to the jobs queue and deleted from the DLQ. */
  readonly moved: number;
  /** Not sent: left in the DLQ, visible again. */
  readonly failed: number;
  /** Sent, but the DLQ delete failed: in both queues (a later redrive sends it again). */
  readonly duplicated: number;
}

/** Sends one batch back and deletes what was sent; returns the messages still in the DLQ. */
async function redriveBatch(
  sqs: SQSClient,
  queues: DlqQueues,
  batch: readonly Held[],
  options: RedriveOptions,
) {
  let sent: Held[] = [];
  let notSent: Held[] = [];
  try {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.queueUrl,
        Entries: batch.map((m, i) => {
          const tenant = options.messageGroupId ? toDlqEntry(m).tenant : undefined;
          return {
            Id: String(i),
            MessageBody: m.Body ?? '',
            MessageAttributes: userAttributes(m.MessageAttributes),
            ...(tenant ? { MessageGroupId: tenant } : {}),
          };
        }),
      }),
    );
    const ok = new Set((out.Successful ?? []).map((s) => Number(s.Id)));
    sent = batch.filter((_, i) => ok.has(i));
    notSent = batch.filter((_, i) => !ok.has(i));
    if (notSent.length > 0)
      options.log?.warn({ queue: queues.queueUrl, failed: notSent.length }, 'redrive sends failed');
  } catch (error) {
    options.log?.warn({ queue: queues.queueUrl, error: coerceError(error) }, 'redrive send batch failed');
    notSent = [...batch];
  }
  let undeleted: Held[] = [];
  if (sent.length > 0) {
    try {
      const out = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queues.dlqUrl,
          Entries: sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      const failed = new Set((out.Failed ?? []).map((f) => Number(f.Id)));
      undeleted = sent.filter((_, i) => failed.has(i));
    } catch (error) {
      options.log?.warn({ queue: queues.dlqUrl, error: coerceError(error) }, 'redrive delete batch failed');
      undeleted = sent;
    }
  }
  return { moved: sent.length - undeleted.length, notSent, undeleted };
}

/**
 * Sends DLQ messages back to the jobs queue with their body and message attributes (minus
 * `scanq-rejected` and `scanq-source-queue`), deleting from the DLQ only what was sent. Messages
 * skipped by `filter` or `max`, and failed sends, stay in the DLQ and are made visible again at the
 * end. Batches of 10, one after the other. A message sent back is a new message (receive count 0).
 *
 * @throws {DlqReceiveError} a receive failed; what was done so far stays done.
 */
export async function redriveDlq(
  sqs: SQSClient,
  queues: DlqQueues,
  options: RedriveOptions = {},
): Promise<RedriveReport> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const report = { moved: 0, failed: 0, duplicated: 0 };
  const seen = new Set<string>();
  const held = new Map<string, string>();
  const done = () => report.moved + report.failed + report.duplicated;
  try {
    while (done() < max) {
      const messages = await receive(
        sqs,
        queues.dlqUrl,
        options.filter ? SQS_BATCH_SIZE : max - done(),
        options,
      );
      const batch: Held[] = [];
      let fresh = 0;
      for (const m of messages) {
        if (seen.has(m.MessageId)) {
          held.set(m.MessageId, m.ReceiptHandle);
          continue;
        }
        seen.add(m.MessageId);
        fresh++;
        const wanted = batch.length < max - done() && (options.filter?.(toDlqEntry(m)) ?? true);
        if (wanted) batch.push(m);
        else held.set(m.MessageId, m.ReceiptHandle);
      }
      if (fresh === 0) break;
      if (batch.length === 0) continue;
      const result = await redriveBatch(sqs, queues, batch, options);
      report.moved += result.moved;
      report.failed += result.notSent.length;
      report.duplicated += result.undeleted.length;
      for (const m of [...result.notSent, ...result.undeleted]) held.set(m.MessageId, m.ReceiptHandle);
    }
  } finally {
    await release(sqs, queues.dlqUrl, held, options.log);
  }
  return report;
}

/** Messages in the DLQ (`ApproximateNumberOfMessages` + `…NotVisible`): for a confirmation prompt. */
export async function dlqDepth(sqs: SQSClient, dlqUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** SQS refused a purge: one already ran within the last minute (`PurgeQueueInProgress`). */
export class DlqPurgeError extends DlqError {
  constructor(dlqUrl: string, cause: unknown) {
    super('dlq.purgeInProgress', `a purge of ${dlqUrl} already ran within the last 60 s; try again later`, {
      cause,
    });
  }
}

/**
 * Deletes every message of the DLQ (SQS `PurgeQueue`: it may take up to 60 s to finish, and SQS
 * allows one per queue per minute). Returns how many there were, approximately.
 * @throws DlqPurgeError when a purge is already in progress.
 */
export async function purgeDlq(sqs: SQSClient, dlqUrl: string): Promise<number> {
  const depth = await dlqDepth(sqs, dlqUrl);
  try {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
  } catch (error) {
    if (coerceError(error).name === 'PurgeQueueInProgress') throw new DlqPurgeError(dlqUrl, error);
    throw error;
  }
  return depth;
}
