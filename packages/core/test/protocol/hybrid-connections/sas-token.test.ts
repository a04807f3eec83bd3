import {describe, expect, it} from 'vitest';

import {
  createSasToken,
  parseSasToken,
  sasTokenCovers,
  verifySasToken,
} from '../../../src/protocol/index.js';

// Computed independently (Python hmac/hashlib) for key "secret-key", se 1900000000.
const RESOURCE = 'http://relay.example/hyco';
const EXPECTED =
  'SharedAccessSignature sr=http%3A%2F%2Frelay.example%2Fhyco&sig=KJzdoSJcf7%2BLcLrMPLKEx2plPyg1apuLTHpGDz1C7rk%3D&se=1900000000&skn=rule';
const LOWERCASE_HEX =
  'SharedAccessSignature sr=http%3a%2f%2frelay.example%2fhyco&sig=XDVFYjTenqURJnXUAGhqPHQsk7H39XftPwwC%2FKIDoGI%3D&se=1900000000&skn=rule';
const keyFor = (name: string) => (name === 'rule' ? 'secret-key' : undefined);

describe('createSasToken', () => {
  it('signs the URL-encoded resource and expiry with the UTF-8 bytes of the key', async () => {
    expect(
      await createSasToken({
        resource: RESOURCE,
        keyName: 'rule',
        key: 'secret-key',
        expiresAt: 1900000000,
      }),
    ).toBe(EXPECTED);
  });
});

describe('verifySasToken', () => {
  it('accepts a valid token and returns its fields', async () => {
    const token = await verifySasToken(EXPECTED, {keyFor, now: 1800000000});
    expect(token).toMatchObject({resource: RESOURCE, keyName: 'rule', expiresAt: 1900000000});
  });

  it('accepts fields in any order', async () => {
    const reordered =
      'SharedAccessSignature skn=rule&se=1900000000&sig=KJzdoSJcf7%2BLcLrMPLKEx2plPyg1apuLTHpGDz1C7rk%3D&sr=http%3A%2F%2Frelay.example%2Fhyco';
    await expect(verifySasToken(reordered, {keyFor, now: 1800000000})).resolves.toMatchObject({
      keyName: 'rule',
    });
  });

  it('accepts a token signed over lowercase-hex encoding, as old .NET helpers make', async () => {
    await expect(verifySasToken(LOWERCASE_HEX, {keyFor, now: 1800000000})).resolves.toMatchObject({
      resource: RESOURCE,
    });
  });

  it('accepts a token whose resource was re-encoded after signing', async () => {
    const reencoded = EXPECTED.replace(
      'sr=http%3A%2F%2Frelay.example%2Fhyco',
      'sr=http%3a%2f%2frelay.example%2fhyco',
    );
    await expect(verifySasToken(reencoded, {keyFor, now: 1800000000})).resolves.toMatchObject({
      resource: RESOURCE,
    });
  });

  it.each([
    ['a changed signature', EXPECTED.replace('KJzdo', 'KJzdp')],
    ['a changed expiry', EXPECTED.replace('se=1900000000', 'se=1900000001')],
    ['a changed resource', EXPECTED.replace('hyco&', 'hycp&')],
    ['an unknown rule', EXPECTED.replace('skn=rule', 'skn=other')],
  ])('rejects %s with ERR_SAS_SIGNATURE_INVALID', async (_case, token) => {
    await expect(verifySasToken(token, {keyFor, now: 1800000000})).rejects.toMatchObject({
      code: 'ERR_SAS_SIGNATURE_INVALID',
      message: 'SAS token signature is invalid',
    });
  });

  it('rejects an expired token with ERR_SAS_TOKEN_EXPIRED', async () => {
    await expect(verifySasToken(EXPECTED, {keyFor, now: 1900000000})).rejects.toMatchObject({
      code: 'ERR_SAS_TOKEN_EXPIRED',
      message: 'SAS token expired at 2030-03-17T17:46:40.000Z',
    });
  });

  it('round-trips with createSasToken for keys and names that need encoding', async () => {
    const token = await createSasToken({
      resource: 'sb://Relay.Example/a b/ü',
      keyName: 'my rule&co',
      key: 'kéy/+=',
      expiresAt: 2000000000,
    });
    const verified = await verifySasToken(token, {
      keyFor: (name) => (name === 'my rule&co' ? 'kéy/+=' : undefined),
      now: 0,
    });
    expect(verified).toMatchObject({resource: 'sb://Relay.Example/a b/ü', keyName: 'my rule&co'});
  });
});

describe('parseSasToken', () => {
  it.each([
    ['Bearer abc', 'Malformed SAS token: it does not start with "SharedAccessSignature "'],
    [
      'SharedAccessSignature sr=a&sig=b&se=1&skn=r',
      'Malformed SAS token: "sig" is not a base64 HMAC-SHA256',
    ],
    ['SharedAccessSignature sr=a&se=1&skn=r', 'Malformed SAS token: "sig" is missing'],
    ['SharedAccessSignature sr=a&sr=b&se=1&skn=r', 'Malformed SAS token: "sr" appears twice'],
    ['SharedAccessSignature sr=a&junk&se=1', 'Malformed SAS token: a field is not name=value'],
    [
      EXPECTED.replace('se=1900000000', 'se=soon'),
      'Malformed SAS token: "se" is not a Unix time in seconds',
    ],
    [EXPECTED.replace('skn=rule', 'skn=%E0%A4%A'), 'Malformed SAS token: "skn" is not URL-encoded'],
  ])('rejects %j with ERR_SAS_TOKEN_MALFORMED', (token, message) => {
    expect(() => parseSasToken(token)).toThrow(
      expect.objectContaining({code: 'ERR_SAS_TOKEN_MALFORMED', message}),
    );
  });
});

describe('sasTokenCovers', () => {
  it.each([
    ['http://relay.example/hyco', 'relay.example', 'hyco', true],
    ['http://relay.example:443/hyco', 'relay.example', 'hyco', true],
    ['https://RELAY.example/hyco/', 'relay.EXAMPLE', 'hyco', true],
    ['sb://relay.example/', 'relay.example', 'clusters/prod', true],
    ['http://relay.example/clusters', 'relay.example', 'clusters/prod', true],
    ['http://relay.example/$hc/clusters/prod', 'relay.example', 'clusters/prod', true],
    ['relay.example/hyco', 'relay.example', 'hyco', true],
    ['http://relay.example/hy', 'relay.example', 'hyco', false],
    ['http://relay.example/hyco/sub', 'relay.example', 'hyco', false],
    ['http://other.example/hyco', 'relay.example', 'hyco', false],
    ['http://relay.example/clusters/dev', 'relay.example', 'clusters/prod', false],
    ['::not a url', 'relay.example', 'hyco', false],
  ])('%s for host %s, entity %s → %s', (resource, host, entity, expected) => {
    expect(sasTokenCovers(resource, host, entity)).toBe(expected);
  });
});
