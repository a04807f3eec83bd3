import {describe, expect, it} from 'vitest';

import type {ClusterUserCredential} from '@porthole/core/control-plane';

import {ClusterConnection, senderAddress} from '../../src/api/cluster-connection.js';

/** A control plane that hands out sender tokens living `lifetimeSeconds`, counting calls. */
function credentials(clock: {now: number}, lifetimeSeconds: number) {
  const calls: string[] = [];
  return {
    calls,
    async listClusterUserCredential(name: string): Promise<ClusterUserCredential> {
      calls.push(name);
      await Promise.resolve();
      return {
        hybridConnectionConfig: {
          relay: 'http://127.0.0.1:9350',
          hybridConnectionName: `clusters/${name}`,
          token: `token-${calls.length}`,
          expirationTime: Math.floor(clock.now / 1000) + lifetimeSeconds,
          relayType: 'porthole',
        },
        kubeconfigs: [],
      };
    },
  };
}

describe('ClusterConnection#senderCredential', () => {
  it('fetches a sender token once and reuses it until a minute before it expires', async () => {
    const clock = {now: Date.parse('2026-01-01T00:00:00Z')};
    const controlPlane = credentials(clock, 3600);
    const connection = new ClusterConnection({
      cluster: 'demo',
      controlPlane,
      accessToken: async () => 'user-token',
      now: () => clock.now,
    });
    expect((await connection.senderCredential()).token).toBe('token-1');
    clock.now += 3540_000 - 1;
    expect((await connection.senderCredential()).token).toBe('token-1');
    clock.now += 1;
    expect((await connection.senderCredential()).token).toBe('token-2');
    expect(controlPlane.calls).toEqual(['demo', 'demo']);
    connection.close();
  });

  it('renews a short-lived token at four fifths of its life', async () => {
    const clock = {now: Date.parse('2026-01-01T00:00:00Z')};
    const controlPlane = credentials(clock, 12);
    const connection = new ClusterConnection({
      cluster: 'demo',
      controlPlane,
      accessToken: async () => 'user-token',
      now: () => clock.now,
    });
    await connection.senderCredential();
    clock.now += 9_599;
    expect((await connection.senderCredential()).token).toBe('token-1');
    clock.now += 1;
    expect((await connection.senderCredential()).token).toBe('token-2');
    connection.close();
  });

  it('shares one request among callers that ask at once', async () => {
    const clock = {now: 0};
    const controlPlane = credentials(clock, 600);
    const connection = new ClusterConnection({
      cluster: 'demo',
      controlPlane,
      accessToken: async () => 'user-token',
      now: () => clock.now,
    });
    const tokens = await Promise.all([1, 2, 3].map(() => connection.senderCredential()));
    expect(tokens.map((config) => config.token)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(controlPlane.calls).toHaveLength(1);
    connection.close();
  });

  it('passes a refusal on, and asks again next time', async () => {
    let refuse = true;
    const connection = new ClusterConnection({
      cluster: 'demo',
      controlPlane: {
        listClusterUserCredential: async () => {
          if (refuse)
            throw Object.assign(new Error('needs Cluster User'), {code: 'ERR_CONTROL_FORBIDDEN'});
          return credentials({now: Date.now()}, 600).listClusterUserCredential('demo');
        },
      },
      accessToken: async () => 'user-token',
    });
    await expect(connection.senderCredential()).rejects.toMatchObject({
      code: 'ERR_CONTROL_FORBIDDEN',
    });
    refuse = false;
    await expect(connection.senderCredential()).resolves.toMatchObject({token: 'token-1'});
    connection.close();
  });
});

describe('senderAddress', () => {
  it("follows the relay's scheme and encodes each segment of the hybrid connection", () => {
    expect(
      senderAddress({relay: 'https://relay.example', hybridConnectionName: 'clusters/prod'}),
    ).toBe('wss://relay.example/$hc/clusters/prod');
    expect(
      senderAddress({relay: 'http://127.0.0.1:9350/', hybridConnectionName: 'clusters/a b'}),
    ).toBe('ws://127.0.0.1:9350/$hc/clusters/a%20b');
  });
});
