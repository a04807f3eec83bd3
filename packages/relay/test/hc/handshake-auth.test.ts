/**
 * Authentication and addressing of handshakes and HTTP requests (hybrid-connections.md §1.6):
 * 401 for a missing, malformed, forged or expired token; 403 for a token that does not cover
 * the entity or whose rule lacks the right; 404 for an unknown entity.
 */
import {afterAll, afterEach, describe, expect, it} from 'vitest';

import {handshake} from '../fixtures/handshake.js';
import {
  LISTEN_ONLY,
  SEND_ONLY,
  forged,
  removeTestPki,
  startTestRelay,
} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
afterEach(() => relay.close());
afterAll(removeTestPki);

describe.each([
  {transport: 'ws', tls: false},
  {transport: 'wss', tls: true},
])('handshakes over $transport', ({tls}) => {
  const cases: [
    string,
    'listen' | 'connect',
    string,
    () => Promise<string | undefined>,
    number,
    RegExp,
  ][] = [
    [
      'no token',
      'listen',
      'hyco',
      async () => undefined,
      401,
      /^MissingToken: the request has no SAS token/,
    ],
    ['a malformed token', 'listen', 'hyco', async () => 'Bearer something', 401, /^MalformedToken/],
    [
      'a bad signature',
      'listen',
      'hyco',
      async () => forged(await relay.token('hyco')),
      401,
      /^InvalidSignature/,
    ],
    [
      'an expired token',
      'listen',
      'hyco',
      () => relay.token('hyco', {seconds: -10}),
      401,
      /^ExpiredToken: the SAS token has expired/,
    ],
    [
      'a token for another path',
      'listen',
      'hyco',
      () => relay.token('hycohttp'),
      403,
      /^InvalidAudience: the token is not valid for hyco/,
    ],
    [
      'a Send token on listen',
      'listen',
      'hyco',
      () => relay.token('hyco', {rule: SEND_ONLY}),
      403,
      /^InsufficientRights: the token's rule lacks the Listen right/,
    ],
    [
      'a Listen token on connect',
      'connect',
      'hyco',
      () => relay.token('hyco', {rule: LISTEN_ONLY}),
      403,
      /^InsufficientRights: the token's rule lacks the Send right/,
    ],
    [
      'an unknown entity',
      'listen',
      'nowhere',
      () => relay.token('nowhere'),
      404,
      /^EntityNotFound: no hybrid connection at nowhere/,
    ],
    [
      'no listener',
      'connect',
      'hyco',
      () => relay.token('hyco'),
      404,
      /^NoListener: no listener is connected for hyco/,
    ],
  ];

  it.each(cases)(
    'refuses %s on %s with the documented status',
    async (_name, action, path, token, status, description) => {
      relay = await startTestRelay({tls});
      const value = await token();
      const outcome = await handshake(`${relay.wsOrigin}/$hc/${path}?sb-hc-action=${action}`, {
        headers: value === undefined ? {} : {ServiceBusAuthorization: value},
        ca: relay.caPem,
      });
      expect(outcome).toMatchObject({status, statusMessage: expect.stringMatching(description)});
      expect((outcome as {body: string}).body).toMatch(/TrackingId:[0-9a-f-]{36}\n$/);
    },
  );

  it('takes the token from the sb-hc-token query as well as the header', async () => {
    relay = await startTestRelay({tls});
    const outcome = await handshake(
      `${relay.wsOrigin}/$hc/hyco?sb-hc-action=listen&sb-hc-token=${encodeURIComponent(await relay.token('hyco'))}`,
      {ca: relay.caPem},
    );
    expect(outcome).toHaveProperty('open');
    if ('open' in outcome) outcome.open.close();
  });

  it('resolves nested entity names by their longest prefix', async () => {
    relay = await startTestRelay({tls});
    const outcome = await handshake(
      `${relay.wsOrigin}/$hc/clusters/prod/extra?sb-hc-action=listen`,
      {
        headers: {ServiceBusAuthorization: await relay.token('clusters')},
        ca: relay.caPem,
      },
    );
    expect(outcome).toHaveProperty('open');
    if ('open' in outcome) outcome.open.close();
  });

  it('lets senders reach an entity without client authorization, but never listeners', async () => {
    relay = await startTestRelay({tls});
    expect(
      await handshake(`${relay.wsOrigin}/$hc/open?sb-hc-action=listen`, {ca: relay.caPem}),
    ).toMatchObject({status: 401});
    expect(
      await handshake(`${relay.wsOrigin}/$hc/open?sb-hc-action=connect`, {ca: relay.caPem}),
    ).toMatchObject({
      status: 404,
      statusMessage: expect.stringMatching(/^NoListener/),
    });
  });

  it('refuses a malformed address and an unknown action with 400/404', async () => {
    relay = await startTestRelay({tls});
    expect(
      await handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=delete`, {ca: relay.caPem}),
    ).toMatchObject({
      status: 400,
      statusMessage: expect.stringMatching(/unknown sb-hc-action "delete"/),
    });
    expect(await handshake(`${relay.wsOrigin}/elsewhere`, {ca: relay.caPem})).toMatchObject({
      status: 404,
    });
    expect(
      await handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=accept&sb-hc-id=nope`, {
        ca: relay.caPem,
      }),
    ).toMatchObject({
      status: 404,
      statusMessage: expect.stringMatching(/^RendezvousNotFound/),
    });
  });
});

describe('keys that expire', () => {
  // The agent's per-cluster credential rotates: the new key becomes primary and the old one
  // stays secondary until its own expiry. Past that, a token it signed is refused even though
  // the token itself has not expired.
  it('accepts a token signed with a key until the key expires, then refuses it with 401 ExpiredKey', async () => {
    let now = Date.now();
    relay = await startTestRelay({now: () => now});
    await relay.store.putAuthorizationRule({
      entity: 'hyco',
      name: 'agent',
      primaryKey: 'new-key',
      primaryKeyExpiresAt: new Date(now + 7_200_000).toISOString(),
      secondaryKey: 'old-key',
      secondaryKeyExpiresAt: new Date(now + 60_000).toISOString(),
      rights: ['Listen'],
    });
    const signedWith = (key: string) =>
      relay.token('hyco', {rule: {name: 'agent', key}, seconds: 86_400});
    const listen = async (token: string) =>
      handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=listen`, {
        headers: {ServiceBusAuthorization: token},
      });
    const oldToken = await signedWith('old-key');

    const before = await listen(oldToken);
    expect(before).toHaveProperty('open');
    if ('open' in before) before.open.close();

    now += 60_000;
    const after = await listen(oldToken);
    expect(after).toMatchObject({
      status: 401,
      statusMessage: expect.stringMatching(
        /^ExpiredKey: the key this token was signed with has expired TrackingId:/,
      ),
    });
    const signature = /sig=([^&]+)/.exec(oldToken)?.[1] ?? 'missing';
    expect(JSON.stringify(after)).not.toContain(signature);
    expect(JSON.stringify(after)).not.toContain(decodeURIComponent(signature));

    const current = await listen(await signedWith('new-key'));
    expect(current).toHaveProperty('open');
    if ('open' in current) current.open.close();

    now += 7_200_000;
    expect(await listen(await signedWith('new-key'))).toMatchObject({
      status: 401,
      statusMessage: expect.stringMatching(/^ExpiredKey/),
    });
  });
});
