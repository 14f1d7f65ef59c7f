import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { errorName } from '../lib/errors.js';
import type { TenantContext } from './context.js';
import { TenancyError } from './errors.js';
import {
  assertFileKind,
  assertListPrefix,
  type BucketRole,
  FILE_BUCKET,
  type FileKind,
  fileKey,
  type ParsedFileKey,
  parseFileKey,
} from './file-keys.js';
import {
  QUARANTINE_METADATA,
  type QuarantineReason,
  quarantineMetadata,
  quarantineReportKey,
} from './quarantine.js';

export { QUARANTINE_METADATA, type QuarantineReason, quarantineReportKey } from './quarantine.js';

/** A presign or upload request whose options are out of bounds (expiry, content type). */
export class InvalidFileRequestError extends TenancyError {}

/** What `TenantFiles` needs: the S3 client and the three bucket names (from the config). */
export interface FilesDeps {
  readonly s3: S3Client;
  readonly buckets: Readonly<Record<BucketRole, string>>;
  /**
   * Client that signs URLs. Default: one built from `s3`'s region, endpoint, credentials and path
   * style with `requestChecksumCalculation: 'WHEN_REQUIRED'`, because a default client puts an
   * empty-body CRC32 into presigned PUT URLs that no real upload matches.
   */
  readonly presigner?: S3Client;
  /** Clock for the date segment of new keys and `expiresAt`. Default `new Date()`. */
  readonly now?: () => Date;
}

/** Bounds of presigned URL lifetimes: SigV4 refuses more than 7 days. */
export const PRESIGN_EXPIRY = { min: 1, max: 7 * 86_400, default: 900 } as const;

export interface PresignOptions {
  /** Lifetime in whole seconds, 1 … 604800. Default 900. */
  readonly expiresInSeconds?: number;
}

export interface PresignPutOptions extends PresignOptions {
  /** When set, it is signed: the uploader must send exactly this `Content-Type`. */
  readonly contentType?: string;
}

/** A URL to hand to a client, with the headers it must send. */
export interface PresignedUrl {
  readonly url: string;
  readonly key: string;
  readonly method: 'GET' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

/** A file read back: its bytes and the content type it was stored with. */
export interface FileObject {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string | undefined;
}

/** What a listing or `head` tells about a file, without its bytes. */
export interface FileInfo {
  readonly key: string;
  readonly size: number | undefined;
  readonly lastModified: Date | undefined;
  readonly contentType?: string | undefined;
  /** User metadata (`head` only), e.g. the reasons on a quarantined file. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** One page of a listing. */
export interface FileListing {
  readonly items: FileInfo[];
  /** Pass back to read the next page; S3 keeps applying the tenant prefix to it. */
  readonly cursor?: string;
}

// Printable ASCII only: a content type ends up in a header and in a signature.
const CONTENT_TYPE = /^[\x20-\x7e]{1,255}$/;

function assertContentType(contentType: string): string {
  if (!CONTENT_TYPE.test(contentType)) {
    throw new InvalidFileRequestError('files.invalidContentType', 'contentType: 1-255 printable characters');
  }
  return contentType;
}

/** S3's answers to a bad multipart request, as the caller's error; anything else unchanged. */
function multipartError(error: unknown): unknown {
  const name = errorName(error);
  if (name === 'NoSuchUpload') {
    return new InvalidFileRequestError('files.noSuchUpload', 'uploadId: no such upload for this key', {
      cause: error,
    });
  }
  if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
    return new InvalidFileRequestError(
      'files.invalidParts',
      'parts: every uploaded part once with its ETag; all but the last at least 5 MiB',
      { cause: error },
    );
  }
  return error;
}

/** An ETag without the quotes S3 wraps it in (clients send it either way). */
const unquote = (etag: string) => etag.replace(/^"|"$/g, '');

function expirySeconds(options: PresignOptions): number {
  const seconds = options.expiresInSeconds ?? PRESIGN_EXPIRY.default;
  if (!Number.isInteger(seconds) || seconds < PRESIGN_EXPIRY.min || seconds > PRESIGN_EXPIRY.max) {
    throw new InvalidFileRequestError(
      'files.invalidExpiry',
      `expiresInSeconds: must be a whole number from ${PRESIGN_EXPIRY.min} to ${PRESIGN_EXPIRY.max}`,
    );
  }
  return seconds;
}

/** One signing client per S3 client: `TenantFiles` is per request, the presigner need not be. */
const presigners = new WeakMap<S3Client, S3Client>();

/** A signing client that shares `s3`'s resolved region, endpoint and credentials. */
function presignerFor(s3: S3Client): S3Client {
  const cached = presigners.get(s3);
  if (cached) return cached;
  const c = s3.config;
  // Copying the whole resolved config breaks (its retry strategy is already resolved): pick fields.
  const presigner = new S3Client({
    region: c.region,
    credentials: c.credentials,
    endpoint: c.endpoint,
    forcePathStyle: c.forcePathStyle,
    useFipsEndpoint: c.useFipsEndpoint,
    useDualstackEndpoint: c.useDualstackEndpoint,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  presigners.set(s3, presigner);
  return presigner;
}

/**
 * The only way to S3 for tenant files: keys are `{tenant}/{kind}/{yyyy-mm-dd}/{name}` with the
 * context's tenant, new names are validated before any write or presign, and a full key is
 * accepted only when it parses as this tenant's (no `..`, encoded separators or leading `/`).
 * Authorization (which role may upload or read) is the caller's job, through `access.ts`.
 */
export class TenantFiles {
  readonly #deps: FilesDeps;
  readonly #now: () => Date;
  readonly context: TenantContext;

  constructor(deps: FilesDeps, context: TenantContext) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.context = context;
  }

  get tenant(): string {
    return this.context.tenant;
  }

  /** The key a new file of this tenant gets today. Pure apart from the clock. */
  keyFor(kind: FileKind, name: string): string {
    return fileKey(this.tenant, kind, name, this.#now());
  }

  #bucket(kind: FileKind): string {
    return this.#deps.buckets[FILE_BUCKET[kind]];
  }

  #parse(key: string): ParsedFileKey & { bucket: string } {
    const parsed = parseFileKey(key, this.tenant);
    return { ...parsed, bucket: this.#bucket(parsed.kind) };
  }

  /** Writes a file under this tenant and returns its full key. */
  async put(kind: FileKind, name: string, body: string | Uint8Array, contentType: string): Promise<string> {
    const key = this.keyFor(kind, name);
    await this.#deps.s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket(kind),
        Key: key,
        Body: body,
        ContentType: assertContentType(contentType),
        // Provenance on the object itself, for operators reading the bucket directly.
        Metadata: { tenant: this.tenant },
      }),
    );
    return key;
  }

  /** Reads a file of this tenant; undefined when it does not exist. */
  async get(key: string): Promise<FileObject | undefined> {
    const { bucket } = this.#parse(key);
    try {
      const out = await this.#deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return { key, body, contentType: out.ContentType };
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** Metadata of a file of this tenant; undefined when it does not exist. */
  async head(key: string): Promise<FileInfo | undefined> {
    const { bucket } = this.#parse(key);
    try {
      const out = await this.#deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        size: out.ContentLength,
        lastModified: out.LastModified,
        contentType: out.ContentType,
        metadata: out.Metadata ?? {},
      };
    } catch (error) {
      // HEAD has no body, so S3 can only say 404: the SDK names it NotFound, not NoSuchKey.
      if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** Deletes a file of this tenant (on a versioned bucket: adds a delete marker). */
  async delete(key: string): Promise<void> {
    const { bucket } = this.#parse(key);
    await this.#deps.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  /**
   * One page of this tenant's files of a kind, optionally below `prefix` (relative to
   * `{tenant}/{kind}/`, e.g. `2024-05-01/`).
   */
  async list(
    kind: FileKind,
    options: { prefix?: string; limit?: number; cursor?: string } = {},
  ): Promise<FileListing> {
    const base = `${this.tenant}/${assertFileKind(kind)}/`;
    const out = await this.#deps.s3.send(
      new ListObjectsV2Command({
        Bucket: this.#bucket(kind),
        Prefix: base + assertListPrefix(options.prefix ?? ''),
        MaxKeys: options.limit,
        ContinuationToken: options.cursor,
      }),
    );
    const items = (out.Contents ?? [])
      // S3 applied the prefix already; this keeps the guarantee local and visible.
      .filter((o): o is typeof o & { Key: string } => typeof o.Key === 'string' && o.Key.startsWith(base))
      .map((o) => ({ key: o.Key, size: o.Size, lastModified: o.LastModified }));
    return { items, ...(out.NextContinuationToken ? { cursor: out.NextContinuationToken } : {}) };
  }

  /**
   * Moves an upload of this tenant to quarantine: copies it to `{tenant}/quarantine/{today}/{name}`
   * with the reasons as metadata (`QUARANTINE_METADATA`), writes the full report next to it
   * (`quarantineReportKey`), then deletes the upload. Copy before delete, so a crash in between
   * leaves the file in both places, never in neither; running it again converges.
   * @param reasons what is wrong, first ones first; `total` when more were found than passed.
   * @throws InvalidKeyError for a key that is not this tenant's; InvalidFileRequestError
   *   `files.notAnUpload` for a key outside `uploads`.
   */
  async quarantine(
    key: string,
    reasons: readonly QuarantineReason[],
    options: { total?: number } = {},
  ): Promise<{ key: string; reportKey: string }> {
    const source = this.#parse(key);
    if (source.kind !== 'uploads')
      throw new InvalidFileRequestError('files.notAnUpload', 'key: only uploads can be quarantined');
    const target = this.keyFor('quarantine', source.name);
    const reportKey = quarantineReportKey(target);
    const at = this.#now().toISOString();
    const total = options.total ?? reasons.length;
    const bucket = this.#bucket('quarantine');
    await this.#deps.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: target,
        CopySource: `${source.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        Metadata: quarantineMetadata(this.tenant, source.day, reasons, total, at),
      }),
    );
    const report = { v: 1, tenant: this.tenant, source: key, key: target, quarantinedAt: at, total, reasons };
    await this.#deps.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: reportKey,
        Body: JSON.stringify(report, null, 2),
        ContentType: 'application/json',
        Metadata: { tenant: this.tenant, [QUARANTINE_METADATA.reportOf]: 'true' },
      }),
    );
    await this.#deps.s3.send(new DeleteObjectCommand({ Bucket: source.bucket, Key: key }));
    return { key: target, reportKey };
  }

  /** A URL that uploads one new file of this tenant, valid for `expiresInSeconds` (default 900). */
  async presignPut(kind: FileKind, name: string, options: PresignPutOptions = {}): Promise<PresignedUrl> {
    const key = this.keyFor(kind, name);
    const seconds = expirySeconds(options);
    const contentType =
      options.contentType === undefined ? undefined : assertContentType(options.contentType);
    const url = await getSignedUrl(
      this.#signer(),
      new PutObjectCommand({ Bucket: this.#bucket(kind), Key: key, ContentType: contentType }),
      { expiresIn: seconds, ...(contentType ? { signableHeaders: new Set(['content-type']) } : {}) },
    );
    return {
      url,
      key,
      method: 'PUT',
      headers: contentType ? { 'content-type': contentType } : {},
      expiresAt: new Date(this.#now().getTime() + seconds * 1000),
    };
  }

  /** A URL that downloads one file of this tenant, valid for `expiresInSeconds` (default 900). */
  async presignGet(key: string, options: PresignOptions = {}): Promise<PresignedUrl> {
    const { bucket } = this.#parse(key);
    const seconds = expirySeconds(options);
    const url = await getSignedUrl(this.#signer(), new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: seconds,
    });
    return {
      url,
      key,
      method: 'GET',
      headers: {},
      expiresAt: new Date(this.#now().getTime() + seconds * 1000),
    };
  }

  /** Starts a multipart upload of a new file of this tenant (large uploads); returns its key and upload id. */
  async createMultipart(
    kind: FileKind,
    name: string,
    options: { contentType?: string } = {},
  ): Promise<{ key: string; uploadId: string }> {
    const key = this.keyFor(kind, name);
    const out = await this.#deps.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: this.#bucket(kind),
        Key: key,
        ...(options.contentType ? { ContentType: assertContentType(options.contentType) } : {}),
        Metadata: { tenant: this.tenant },
      }),
    );
    if (!out.UploadId) throw new TenancyError('files.unexpectedResponse', 'S3 returned no UploadId');
    return { key, uploadId: out.UploadId };
  }

  /** A URL that uploads part `partNumber` (1-10000) of a multipart upload of this tenant's `key`. */
  async presignPart(
    key: string,
    uploadId: string,
    partNumber: number,
    options: PresignOptions = {},
  ): Promise<PresignedUrl> {
    const { bucket } = this.#parse(key);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      throw new InvalidFileRequestError(
        'files.invalidPart',
        'partNumber: must be a whole number from 1 to 10000',
      );
    }
    const seconds = expirySeconds(options);
    const command = new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
    });
    const url = await getSignedUrl(this.#signer(), command, { expiresIn: seconds });
    return {
      url,
      key,
      method: 'PUT',
      headers: {},
      expiresAt: new Date(this.#now().getTime() + seconds * 1000),
    };
  }

  /**
   * Completes a multipart upload of this tenant's `key` from its parts' ETags (in any order).
   * @throws InvalidFileRequestError `files.noSuchUpload`, `files.invalidParts`.
   */
  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<void> {
    const { bucket } = this.#parse(key);
    await this.#assertPartsUploaded(bucket, key, uploadId, parts);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const upload = { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) };
    await this.#deps.s3
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: upload,
        }),
      )
      .catch((error: unknown) => Promise.reject(multipartError(error)));
  }

  /** Abandons a multipart upload of this tenant's `key`; S3 deletes its parts. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    const { bucket } = this.#parse(key);
    await this.#deps.s3
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch((error: unknown) => Promise.reject(multipartError(error)));
  }

  /**
   * Every part named was uploaded, once, with the ETag given: checked against S3's own list before
   * completing, so a wrong list is a 400 naming `parts` on every S3 (some emulators answer a
   * completion naming unknown parts with a 5xx).
   */
  async #assertPartsUploaded(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<void> {
    const uploaded = new Map<number, string>();
    let marker: string | undefined;
    do {
      const page = await this.#deps.s3
        .send(
          new ListPartsCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
        )
        .catch((error: unknown) => Promise.reject(multipartError(error)));
      for (const part of page.Parts ?? []) {
        if (part.PartNumber !== undefined) uploaded.set(part.PartNumber, unquote(part.ETag ?? ''));
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    const numbers = new Set(parts.map((p) => p.partNumber));
    const wrong = parts.some((p) => uploaded.get(p.partNumber) !== unquote(p.etag));
    if (wrong || numbers.size !== parts.length) {
      throw new InvalidFileRequestError(
        'files.invalidParts',
        'parts: every uploaded part once with its ETag; all but the last at least 5 MiB',
      );
    }
  }

  #signer(): S3Client {
    return this.#deps.presigner ?? presignerFor(this.#deps.s3);
  }
}
