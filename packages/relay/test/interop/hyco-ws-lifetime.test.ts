/**
 * Token renewal and keepalive with a real hyco-ws listener (hybrid-connections.md §1.5, §3
 * D–E), plus the relay's own side of both with a raw listener.
 */
import {once} from 'node:events';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {WebSocket} from 'ws';

import {closeOf, handshake} from '../fixtures/handshake.js';
import {startHycoListener} from '../fixtures/hyco-peers.js';
import {Peer} from '../fixtures/peer.js';
import {removeTestPki, startTestRelay} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
const peers: Peer[] = [];

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.stop()));
  await relay.close();
});
afterAll(removeTestPki);

async function listen(token: string): Promise<WebSocket> {
  const outcome = await handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=listen`, {
    headers: {ServiceBusAuthorization: token},
    ca: relay.caPem,
  });
  if (!('open' in outcome))
    throw new Error(`listen refused: ${outcome.status} ${outcome.statusMessage}`);
  return outcome.open;
}

describe.each([
  {transport: 'ws', tls: false},
  {transport: 'wss', tls: true},
])('listener lifetime over $transport', ({tls}) => {
  it('keeps a hyco-ws listener whose short-lived token it renews, and still pairs senders with it', async () => {
    relay = await startTestRelay({tls});
    const listener = startHycoListener(relay, 'hyco-ws', 'hyco', {
      tokenSeconds: 2,
      renewEveryMs: 700,
    });
    peers.push(listener);
    await listener.waitFor((e) => e.event === 'listening');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(relay.log.filter((e) => e.event === 'listener.renewed').length).toBeGreaterThanOrEqual(
      3,
    );
    expect(relay.log.filter((e) => e.event === 'listener.token-expired')).toEqual([]);
    expect(listener.events.filter((e) => e.event === 'listening')).toHaveLength(1);

    const sender = await handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=connect`, {
      headers: {ServiceBusAuthorization: await relay.token('hyco')},
      ca: relay.caPem,
    });
    expect(sender).toHaveProperty('open');
    if ('open' in sender) sender.open.close();
  });

  it('closes with 1008 a listener whose token lapses without renewal', async () => {
    relay = await startTestRelay({tls});
    const listener = await listen(await relay.token('hyco', {seconds: 2}));
    expect(await closeOf(listener)).toEqual({code: 1008, reason: 'ExpiredToken'});
  });

  it('closes with 1008 a listener that renews with an invalid token, and extends one that renews validly', async () => {
    relay = await startTestRelay({tls});
    const good = await listen(await relay.token('hyco', {seconds: 2}));
    good.send(JSON.stringify({renewToken: {token: await relay.token('hyco', {seconds: 3600})}}));
    const bad = await listen(await relay.token('hyco'));
    bad.send(JSON.stringify({renewToken: {token: await relay.token('hycohttp')}}));
    expect(await closeOf(bad)).toEqual({
      code: 1008,
      reason: 'InvalidAudience: the token is not valid for hyco',
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(good.readyState).toBe(WebSocket.OPEN);
    good.close();
  });

  it('drops a frozen hyco-ws listener after two missed pings; thawed, it reconnects', async () => {
    relay = await startTestRelay({tls, limits: {keepAliveIntervalMs: 300}});
    const listener = startHycoListener(relay, 'hyco-ws', 'hyco');
    peers.push(listener);
    await listener.waitFor((e) => e.event === 'listening');
    listener.signal('SIGSTOP');
    const frozenAt = Date.now();
    while (!relay.log.some((e) => e.event === 'listener.dead') && Date.now() - frozenAt < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(relay.log.filter((e) => e.event === 'listener.dead')).toHaveLength(1);
    expect(Date.now() - frozenAt).toBeLessThan(1500);
    listener.signal('SIGCONT');
    await listener.waitFor(
      (e) =>
        e.event === 'listening' &&
        listener.events.filter((x) => x.event === 'listening').length === 2,
    );
  });

  it('answers pings and takes unsolicited pongs from a listener without dropping it', async () => {
    relay = await startTestRelay({tls, limits: {keepAliveIntervalMs: 200}});
    const listener = await listen(await relay.token('hyco'));
    const pong = once(listener, 'pong');
    listener.ping();
    await pong;
    const timer = setInterval(() => listener.pong(), 100);
    await new Promise((resolve) => setTimeout(resolve, 800));
    clearInterval(timer);
    expect(listener.readyState).toBe(WebSocket.OPEN);
    listener.close();
  });
});
