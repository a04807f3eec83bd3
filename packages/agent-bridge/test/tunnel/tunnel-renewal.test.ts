/**
 * The tunnel's mux connections renew their tokens in place (PROTOCOL.md §3.7) — the agent's
 * listener and the bridge's dialer alike — so that a stream outlives many token lifetimes; and
 * they fall back to replacing the connection when the relay does not support RENEW or refuses
 * it (§6.5). A real relay on loopback, tokens that live 3 seconds.
 */
import type {Duplex} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterEach, describe, expect, it} from 'vitest';

import {RelayServer, SqliteRelayStore} from '@porthole/relay';

import {nodeWebSocketFactory, TunnelDialer} from '../../src/index.js';
import type {RelayTarget, TunnelDialerEvent} from '../../src/index.js';
import {TunnelListener} from '../../src/tunnel/tunnel-listener.js';
import type {TunnelEvent} from '../../src/tunnel/tunnel-listener.js';

const RULE = {name: 'tunnel', key: 'tunnel-key-0123456789'};
const LIFETIME_SECONDS = 3;

type LoggedEvent = {event: string} & Record<string, unknown>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A relay whose mux connections drain for 300 ms once their token expires. */
async function startRelay(options: {muxRenewal?: boolean} = {}) {
  const store = SqliteRelayStore.open(':memory:');
  await store.ensureHybridConnection('clusters/tunnel');
  await store.putAuthorizationRule({
    entity: undefined,
    name: RULE.name,
    primaryKey: RULE.key,
    secondaryKey: undefined,
    rights: ['Listen', 'Send'],
  });
  const log: LoggedEvent[] = [];
  const relay = new RelayServer({
    store,
    limits: {muxDrainTimeoutMs: 300},
    log: (event, fields) => log.push({event, ...fields}),
    ...(options.muxRenewal === undefined ? {} : {muxRenewal: options.muxRenewal}),
  });
  const {url} = await relay.listen({host: '127.0.0.1', port: 0});
  cleanups.push(async () => {
    await relay.close();
    await store.close();
  });
  const target = (sasKey: string | (() => string) = RULE.key): RelayTarget => ({
    origin: url.replace(/^http/, 'ws'),
    entity: 'clusters/tunnel',
    credential: {sasKeyName: RULE.name, sasKey, tokenLifetimeSeconds: LIFETIME_SECONDS},
  });
  const count = (event: string, role?: string) =>
    log.filter((entry) => entry.event === event && (role === undefined || entry.role === role))
      .length;
  return {log, target, count};
}

/** The agent's side: a mux listener that echoes every connection. */
async function startListener(target: RelayTarget) {
  const events: TunnelEvent[] = [];
  const listener = new TunnelListener({
    target,
    mode: 'mux',
    webSocket: nodeWebSocketFactory(),
    onConnection: (stream) => {
      // A connection cut when its mux connection ends errors; the test sees it on the other side.
      stream.on('error', () => undefined);
      stream.pipe(stream);
    },
    onEvent: (event) => events.push(event),
  });
  cleanups.push(() => listener.stop());
  await listener.start();
  return {listener, events};
}

function startDialer(target: RelayTarget) {
  const events: TunnelDialerEvent[] = [];
  const dialer = new TunnelDialer({
    target,
    mode: 'mux',
    webSocket: nodeWebSocketFactory(),
    onEvent: (event) => events.push(event),
  });
  cleanups.push(() => dialer.close());
  return {dialer, events};
}

/** Writes a line on a tunnelled connection and reads its echo. */
function say(stream: Duplex, line: string): Promise<string> {
  if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    let heard = '';
    const onData = (chunk: Buffer) => {
      heard += chunk.toString();
      if (heard.length < line.length) return;
      stop();
      resolve(heard);
    };
    const onClose = () => {
      stop();
      reject(new Error(`the connection closed before echoing ${JSON.stringify(line)}`));
    };
    const stop = () => {
      stream.off('data', onData);
      stream.off('close', onClose);
    };
    stream.on('data', onData);
    stream.once('close', onClose);
    stream.write(line);
  });
}

describe('TunnelListener and TunnelDialer', () => {
  it('renew their tokens in place, so that one connection and its stream outlive many tokens', async () => {
    const relay = await startRelay();
    const agent = await startListener(relay.target());
    const bridge = startDialer(relay.target());
    const stream = await bridge.dialer.connect();
    for (let second = 0; second < 4 * LIFETIME_SECONDS; second++) {
      expect(await say(stream, `second ${second}`)).toBe(`second ${second}`);
      await sleep(1000);
    }
    // One connection each way, kept for the whole run, renewed in place every lifetime or so.
    expect(relay.count('mux.listener-connected')).toBe(1);
    expect(relay.count('mux.client-connected')).toBe(1);
    expect(relay.count('mux.token-expired')).toBe(0);
    expect(relay.count('mux.renewed', 'listener')).toBeGreaterThanOrEqual(3);
    expect(relay.count('mux.renewed', 'client')).toBeGreaterThanOrEqual(3);
    expect(agent.events.filter((event) => event.type === 'renewed')).toEqual(
      Array.from({length: relay.count('mux.renewed', 'listener')}, () => ({
        type: 'renewed',
        via: 'mux',
        reason: 'schedule',
        how: 'in-place',
      })),
    );
    expect(bridge.events.every((event) => event.type === 'renewed')).toBe(true);
    // A new stream takes the same connection.
    expect(await say(await bridge.dialer.connect(), 'again')).toBe('again');
    expect(relay.count('mux.client-connected')).toBe(1);
  });

  it('renew in place when asked to: after a key rotation, or a new credential', async () => {
    const relay = await startRelay();
    const agent = await startListener(relay.target());
    const bridge = startDialer(relay.target());
    const stream = await bridge.dialer.connect();
    agent.listener.renew();
    bridge.dialer.renewCredential({sasKeyName: RULE.name, sasKey: RULE.key});
    while (relay.count('mux.renewed') < 2) await sleep(20);
    expect(agent.events).toContainEqual({
      type: 'renewed',
      via: 'mux',
      reason: 'requested',
      how: 'in-place',
    });
    expect(bridge.events).toEqual([{type: 'renewed', via: 'mux', how: 'in-place'}]);
    expect(await say(stream, 'still here')).toBe('still here');
    expect([relay.count('mux.listener-connected'), relay.count('mux.client-connected')]).toEqual([
      1, 1,
    ]);
  });

  it('replace the connection when a renewal is refused, and keep serving', async () => {
    const relay = await startRelay();
    // The second token each side mints — its first renewal — is signed with a wrong key.
    const flaky = () => {
      let minted = 0;
      return () => (++minted === 2 ? 'not-the-key' : RULE.key);
    };
    const agent = await startListener(relay.target(flaky()));
    const bridge = startDialer(relay.target(flaky()));
    expect(await say(await bridge.dialer.connect(), 'first')).toBe('first');
    while (relay.count('mux.renewal-refused', 'listener') === 0) await sleep(50);
    while (relay.count('mux.renewal-refused', 'client') === 0) await sleep(50);
    await sleep(200);
    expect(agent.events).toContainEqual(
      expect.objectContaining({
        type: 'renewed',
        how: 'replaced',
        error: expect.stringMatching(/^ERR_MUX_RENEW_REFUSED: .*InvalidSignature/),
      }),
    );
    expect(bridge.events).toContainEqual(
      expect.objectContaining({
        type: 'renewal-failed',
        error: expect.stringMatching(/^ERR_MUX_RENEW_REFUSED: .*InvalidSignature/),
      }),
    );
    // New streams go to a new connection, to the new listener connection.
    expect(await say(await bridge.dialer.connect(), 'second')).toBe('second');
    expect(relay.count('mux.listener-connected')).toBe(2);
    expect(relay.count('mux.client-connected')).toBe(2);
  });

  it('replace their connections before the token expires against a relay without RENEW', async () => {
    const relay = await startRelay({muxRenewal: false});
    const agent = await startListener(relay.target());
    const bridge = startDialer(relay.target());
    for (let second = 0; second < 3 * LIFETIME_SECONDS; second++) {
      expect(await say(await bridge.dialer.connect(), `second ${second}`)).toBe(`second ${second}`);
      await sleep(1000);
    }
    expect(relay.count('mux.renewed')).toBe(0);
    expect(relay.count('mux.listener-connected')).toBeGreaterThanOrEqual(3);
    expect(relay.count('mux.client-connected')).toBeGreaterThanOrEqual(3);
    expect(agent.events.filter((event) => event.type === 'renewed')).toContainEqual({
      type: 'renewed',
      via: 'mux',
      reason: 'schedule',
      how: 'replaced',
    });
    expect(bridge.events).toEqual([]);
  });
});
