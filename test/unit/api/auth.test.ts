import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerToken, createVerifier, ExpiredTokenError, mintToken } from '../../../src/api/index.js';
import { ConfigError } from '../../../src/config/index.js';

const SECRET = 'unit-test-secret-of-at-least-32-bytes!!';
const auth = { jwtSecret: SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined };
const key = new TextEncoder().encode(SECRET);

/** A token with arbitrary claims and header, signed with `secret`. */
function raw(
  claims: Record<string, unknown>,
  options: { alg?: string; secret?: Uint8Array; exp?: number } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setExpirationTime(options.exp ?? now + 600)
    .sign(options.secret ?? key);
}

describe('Function: createVerifier (HS256)', () => {
  const verifier = createVerifier(auth);

  it('returns the claims of a token minted by mintToken', async () => {
    const token = await mintToken({
      secret: SECRET,
      tenant: 'acme',
      sub: 'alice',
      roles: ['analyst'],
      ttlMs: 60_000,
    });
    await expect(verifier.verify(token)).resolves.toEqual({
      sub: 'alice',
      tenant: 'acme',
      roles: ['analyst'],
    });
  });

  const refused: { name: string; token: () => Promise<string>; code: string }[] = [
    {
      name: 'signed with another secret',
      token: () =>
        raw({ sub: 'a', tenant: 't', roles: [] }, { secret: new TextEncoder().encode('x'.repeat(32)) }),
      code: 'auth.invalidToken',
    },
    { name: 'not a JWT', token: async () => 'abc.def.ghi', code: 'auth.invalidToken' },
    { name: 'without a tenant claim', token: () => raw({ sub: 'a', roles: [] }), code: 'auth.invalidClaims' },
    {
      name: 'roles not a list',
      token: () => raw({ sub: 'a', tenant: 't', roles: 'admin' }),
      code: 'auth.invalidClaims',
    },
    {
      name: 'roles not strings',
      token: () => raw({ sub: 'a', tenant: 't', roles: [1] }),
      code: 'auth.invalidClaims',
    },
    { name: 'without a subject', token: () => raw({ tenant: 't', roles: [] }), code: 'auth.invalidToken' },
    {
      name: 'without an expiry',
      token: () =>
        new SignJWT({ sub: 'a', tenant: 't', roles: [] }).setProtectedHeader({ alg: 'HS256' }).sign(key),
      code: 'auth.invalidToken',
    },
    {
      name: 'HS512 (only HS256 is allowed)',
      token: () => raw({ sub: 'a', tenant: 't', roles: [] }, { alg: 'HS512' }),
      code: 'auth.invalidToken',
    },
  ];

  it.each(refused)('refuses a token $name with 401 $code', async ({ token, code }) => {
    await expect(verifier.verify(await token())).rejects.toMatchObject({ status: 401, code });
  });

  it('refuses an expired token, keeping its authentic claims for the audit', async () => {
    const token = await mintToken({
      secret: SECRET,
      tenant: 'acme',
      sub: 'alice',
      roles: ['admin'],
      ttlMs: 60_000,
      now: new Date(Date.now() - 3_600_000),
    });
    const error = await verifier.verify(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpiredTokenError);
    expect(error).toMatchObject({
      status: 401,
      code: 'auth.expiredToken',
      claims: { tenant: 'acme', sub: 'alice' },
    });
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createVerifier({ ...auth, issuer: 'https://id.example', audience: 'scanq' });
    const right = await mintToken({
      secret: SECRET,
      tenant: 't',
      sub: 's',
      roles: [],
      ttlMs: 60_000,
      issuer: 'https://id.example',
      audience: 'scanq',
    });
    const wrong = await mintToken({
      secret: SECRET,
      tenant: 't',
      sub: 's',
      roles: [],
      ttlMs: 60_000,
      issuer: 'https://id.example',
      audience: 'other',
    });
    await expect(strict.verify(right)).resolves.toMatchObject({ tenant: 't' });
    await expect(strict.verify(wrong)).rejects.toMatchObject({ code: 'auth.invalidToken' });
  });

  it.each([
    { name: 'neither', value: { ...auth, jwtSecret: undefined } },
    { name: 'both', value: { ...auth, jwksUrl: 'https://id.example/jwks' } },
  ])('refuses a configuration with $name of secret and JWKS URL', ({ value }) => {
    expect(() => createVerifier(value)).toThrow(ConfigError);
  });
});

describe('Function: mintToken', () => {
  it.each([
    { name: 'an unknown role', input: { tenant: 't', sub: 's', roles: ['root'] } },
    { name: 'a tenant with a slash', input: { tenant: 'a/b', sub: 's', roles: [] } },
    { name: 'a user with a space', input: { tenant: 't', sub: 'a b', roles: [] } },
  ])('refuses $name', async ({ input }) => {
    await expect(mintToken({ secret: SECRET, ttlMs: 1000, ...input })).rejects.toMatchObject({
      name: 'InvalidKeyError',
    });
  });
});

describe('Function: bearerToken', () => {
  it.each([
    { header: 'Bearer abc.def.ghi', token: 'abc.def.ghi' },
    { header: 'bearer abc', token: 'abc' },
    { header: '  Bearer abc  ', token: 'abc' },
  ])('reads "$header"', ({ header, token }) => {
    expect(bearerToken(header)).toBe(token);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic abc',
    'Bearer a b',
    ['Bearer a'],
    `Bearer ${'a'.repeat(8193)}`,
  ])('refuses %j with auth.missingToken', (header) => {
    expect(() => bearerToken(header)).toThrow(
      expect.objectContaining({ code: 'auth.missingToken', status: 401 }),
    );
  });
});
