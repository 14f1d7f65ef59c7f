/**
 * A minimal self-signed X.509 v3 certificate (EC P-256, ecdsa-with-SHA256) built with node:crypto
 * and a few lines of DER, so tests control the validity window (an expired certificate, one about
 * to expire) without depending on an `openssl` binary.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const der = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...content: Buffer[]) => der(0x30, ...content);
const set = (...content: Buffer[]) => der(0x31, ...content);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, 'utf8'));
const octets = (content: Buffer) => der(0x04, content);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const part of rest) {
    const chunk: number[] = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function integer(content: Buffer): Buffer {
  // A leading 1 bit would make the number negative.
  return der(0x02, (content[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), content]) : content);
}

function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return at.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : der(0x18, Buffer.from(`${iso}Z`));
}

const name = (cn: string, org: string) =>
  seq(set(seq(oid('2.5.4.10'), utf8(org))), set(seq(oid('2.5.4.3'), utf8(cn))));

function ipBytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

/**
 * A self-signed certificate for `commonName`, valid from `notBefore` to `notAfter`, with DNS and
 * IPv4 subject alternative names.
 */
export function selfSignedCertificate(options: {
  commonName: string;
  organization?: string;
  altNames: readonly string[];
  notBefore: Date;
  notAfter: Date;
}): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const algorithm = seq(oid('1.2.840.10045.4.3.2'));
  const subject = name(options.commonName, options.organization ?? 'scanq tests');
  const generalNames = seq(
    ...options.altNames.map((alt) =>
      isIP(alt) === 4 ? der(0x87, ipBytes(alt)) : der(0x82, Buffer.from(alt, 'ascii')),
    ),
  );
  const extensions = der(0xa3, seq(seq(oid('2.5.29.17'), octets(generalNames))));
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    integer(randomBytes(8)),
    algorithm,
    subject,
    seq(time(options.notBefore), time(options.notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = seq(tbs, algorithm, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = certificate.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${base64.trim()}\n-----END CERTIFICATE-----\n`,
  };
}
