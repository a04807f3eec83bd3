/**
 * SasAuthorizer with keys that expire (the agent's rotating per-cluster credential), against
 * a real in-memory store: what an expired key signed is refused, and what a live key's token
 * opens lapses no later than the key.
 */
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {createSasToken} from '@porthole/core/protocol';

import {SasAuthorizer} from '../../src/auth/sas-authorizer.js';
import {SqliteRelayStore} from '../../src/index.js';

const NOW = Date.parse('2026-01-02T00:00:00.000Z');
const HOUR = 3_600_000;

let store: SqliteRelayStore;
beforeEach(async () => {
  store = SqliteRelayStore.open(':memory:');
  await store.ensureHybridConnection('clusters/prod');
});
afterEach(() => store.close());

function token(key: string, expiresAtMs: number): Promise<string> {
  return createSasToken({
    resource: 'http://relay.example/clusters/prod',
    keyName: 'agent',
    key,
    expiresAt: Math.floor(expiresAtMs / 1000),
  });
}

async function authorize(tokenValue: string, now = NOW) {
  return new SasAuthorizer(store, () => now).authorize({
    token: tokenValue,
    host: 'relay.example',
    entity: 'clusters/prod',
    right: 'Listen',
  });
}

describe('SasAuthorizer', () => {
  it('ends what a token opens when its key expires, if that comes before the token', async () => {
    await store.putAuthorizationRule({
      entity: 'clusters/prod',
      name: 'agent',
      primaryKey: 'new-key',
      primaryKeyExpiresAt: new Date(NOW + 2 * HOUR).toISOString(),
      secondaryKey: undefined,
      rights: ['Listen'],
    });
    expect(await authorize(await token('new-key', NOW + 24 * HOUR))).toEqual({
      expiresAt: (NOW + 2 * HOUR) / 1000,
    });
    expect(await authorize(await token('new-key', NOW + HOUR))).toEqual({
      expiresAt: (NOW + HOUR) / 1000,
    });
  });

  it('refuses a token signed with an expired key with ExpiredKey, whether the token expired or not', async () => {
    await store.putAuthorizationRule({
      entity: undefined,
      name: 'agent',
      primaryKey: 'new-key',
      secondaryKey: 'old-key',
      secondaryKeyExpiresAt: new Date(NOW - 1).toISOString(),
      rights: ['Listen'],
    });
    const expiredKey = {
      status: 401,
      description: 'ExpiredKey: the key this token was signed with has expired',
    };
    expect(await authorize(await token('old-key', NOW + HOUR))).toEqual(expiredKey);
    expect(await authorize(await token('old-key', NOW - HOUR))).toEqual(expiredKey);
    expect(await authorize(await token('forged-key', NOW + HOUR))).toEqual({
      status: 401,
      description: 'InvalidSignature: the SAS token signature is invalid',
    });
    expect(await authorize(await token('new-key', NOW + HOUR))).toEqual({
      expiresAt: (NOW + HOUR) / 1000,
    });
  });

  it('treats a key as expired from the very millisecond of its expiry', async () => {
    await store.putAuthorizationRule({
      entity: 'clusters/prod',
      name: 'agent',
      primaryKey: 'key',
      primaryKeyExpiresAt: new Date(NOW).toISOString(),
      secondaryKey: undefined,
      rights: ['Listen'],
    });
    const value = await token('key', NOW + HOUR);
    expect(await authorize(value, NOW - 1)).toHaveProperty('expiresAt');
    expect(await authorize(value, NOW)).toMatchObject({status: 401});
  });
});
