import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InvalidFileRequestError,
  InvalidKeyError,
  ownContext,
  TenantFiles,
} from '../../../src/tenancy/index.js';

// Presigning is local computation: this endpoint is never contacted. No emulator checks expiry or
// signatures, so what we can prove about them is the URL we build.
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const buckets = { results: 'r-bucket', uploads: 'u-bucket', quarantine: 'q-bucket' };
const now = () => new Date('2024-05-01T12:00:00Z');
const files = new TenantFiles(
  { s3, buckets, now },
  ownContext({ tenant: 'A', user: 'u', roles: ['analyst'] }),
);

afterAll(() => {
  s3.destroy();
});

describe('Class: TenantFiles', () => {
  describe('Method: presignPut', () => {
    it('signs a PUT of a new key under the tenant in the kind bucket, for 900 s by default, without a checksum', async () => {
      // Act
      const signed = await files.presignPut('uploads', 'job-1/in.json');

      // Assess
      const url = new URL(signed.url);
      expect(url.pathname).toBe('/u-bucket/A/uploads/2024-05-01/job-1/in.json');
      expect(signed.key).toBe('A/uploads/2024-05-01/job-1/in.json');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
      expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
      expect(signed.method).toBe('PUT');
      expect(signed.expiresAt).toEqual(new Date('2024-05-01T12:15:00Z'));
    });

    it('signs the content type when one is given, so the uploader must send it', async () => {
      const signed = await files.presignPut('uploads', 'x.csv', {
        contentType: 'text/csv',
        expiresInSeconds: 60,
      });
      const url = new URL(signed.url);
      expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-type');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
      expect(signed.headers).toEqual({ 'content-type': 'text/csv' });
    });

    it.each([0, -5, 1.5, 7 * 86_400 + 1, Number.NaN])('refuses an expiry of %s seconds', async (seconds) => {
      await expect(files.presignPut('uploads', 'x', { expiresInSeconds: seconds })).rejects.toMatchObject({
        constructor: InvalidFileRequestError,
        code: 'files.invalidExpiry',
      });
    });

    it('accepts the bounds, 1 s and 7 days', async () => {
      for (const seconds of [1, 7 * 86_400]) {
        const signed = await files.presignPut('uploads', 'x', { expiresInSeconds: seconds });
        expect(new URL(signed.url).searchParams.get('X-Amz-Expires')).toBe(String(seconds));
      }
    });

    it('refuses a crafted name or content type before signing', async () => {
      await expect(files.presignPut('uploads', '../../B/uploads/x')).rejects.toMatchObject({
        constructor: InvalidKeyError,
        code: 'files.invalidName',
      });
      await expect(
        files.presignPut('uploads', 'x', { contentType: 'text/plain\r\nx-amz-acl: public-read' }),
      ).rejects.toMatchObject({ code: 'files.invalidContentType' });
    });
  });

  describe('Method: presignGet', () => {
    it('signs a GET of one of its keys in the bucket of its kind', async () => {
      const signed = await files.presignGet('A/evidence/2024-04-30/shot.png', { expiresInSeconds: 30 });
      const url = new URL(signed.url);
      expect(url.pathname).toBe('/r-bucket/A/evidence/2024-04-30/shot.png');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('30');
    });

    it.each([
      ['B/results/2024-05-01/r.json', 'files.crossTenant'],
      ['A/../B/results/2024-05-01/r.json', 'files.invalidKey'],
      ['/B/results/2024-05-01/r.json', 'files.invalidKey'],
      ['A%2f..%2fB/results/2024-05-01/r.json', 'files.invalidKey'],
      ['%2e%2e/B/results/2024-05-01/r.json', 'files.invalidKey'],
    ])('refuses %s', async (key, code) => {
      // A key of another tenant is a CrossTenantKeyError (an InvalidKeyError the API audits).
      await expect(files.presignGet(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(files.presignGet(key)).rejects.toMatchObject({ code });
    });
  });
});
