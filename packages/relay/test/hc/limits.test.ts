/**
 * Every limit of the relay, breached on purpose: the documented status or close code comes
 * back, what the offender held is freed, and everyone else keeps being served.
 */
import {once} from 'node:events';
import {request} from 'node:http';
import {connect} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {WebSocket} from 'ws';

import {closeOf, handshake} from '../fixtures/handshake.js';
import {forged, startTestRelay} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
afterEach(() => relay.close());

async function open(path: string, action: 'listen' | 'connect', extra = ''): Promise<WebSocket> {
  const outcome = await handshake(`${relay.wsOrigin}/$hc/${path}?sb-hc-action=${action}${extra}`, {
    headers: {ServiceBusAuthorization: await relay.token(path)},
  });
  if (!('open' in outcome))
    throw new Error(`${action} refused: ${outcome.status} ${outcome.statusMessage}`);
  return outcome.open;
}

/** A listener that accepts every sender through the rendezvous and echoes. */
function acceptEverything(listener: WebSocket): void {
  listener.on('message', (data: Buffer) => {
    const {accept} = JSON.parse(data.toString()) as {accept?: {address: string}};
    if (!accept) return;
    const rendezvous = new WebSocket(accept.address);
    rendezvous.on('message', (message: Buffer, isBinary: boolean) =>
      rendezvous.send(message, {binary: isBinary}),
    );
    rendezvous.on('error', () => undefined);
  });
}

async function stillServes(): Promise<void> {
  const listener = await open('clusters/prod', 'listen');
  acceptEverything(listener);
  const sender = await open('clusters/prod', 'connect');
  const echoed = once(sender, 'message') as Promise<[Buffer]>;
  sender.send('still here');
  expect((await echoed)[0].toString()).toBe('still here');
  sender.close();
  listener.close();
}

describe('control channel input', () => {
  it('closes with 1009 a listener that sends a message over maxControlMessageBytes', async () => {
    relay = await startTestRelay({limits: {maxControlMessageBytes: 1024}});
    const listener = await open('hyco', 'listen');
    listener.send('x'.repeat(2048));
    expect((await closeOf(listener)).code).toBe(1009);
    await stillServes();
  });

  it('closes with 1008 a listener that sends a malformed command, and ignores unknown ones', async () => {
    relay = await startTestRelay();
    const polite = await open('hyco', 'listen');
    polite.send(JSON.stringify({dance: {steps: 3}}));
    const rude = await open('hyco', 'listen');
    rude.send('{"response": ');
    expect(await closeOf(rude)).toEqual({code: 1008, reason: 'InvalidCommand'});
    expect(relay.log).toContainEqual(
      expect.objectContaining({event: 'listener.unknown-command', name: 'dance'}),
    );
    expect(polite.readyState).toBe(WebSocket.OPEN);
    polite.close();
  });
});

describe('listeners and senders', () => {
  it('refuses the listener over maxListenersPerEntity with 403, and balances senders over the others', async () => {
    relay = await startTestRelay({limits: {maxListenersPerEntity: 2}});
    const listeners = [await open('hyco', 'listen'), await open('hyco', 'listen')];
    const accepts = listeners.map(() => 0);
    listeners.forEach((listener, i) => {
      listener.on('message', () => {
        accepts[i] = (accepts[i] ?? 0) + 1;
      });
    });
    expect(
      await handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=listen`, {
        headers: {ServiceBusAuthorization: await relay.token('hyco')},
      }),
    ).toMatchObject({
      status: 403,
      statusMessage: expect.stringMatching(/^QuotaExceeded: hyco already has 2 listeners/),
    });
    const token = await relay.token('hyco');
    const senders = Array.from(
      {length: 10},
      () =>
        new WebSocket(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=connect`, {
          headers: {ServiceBusAuthorization: token},
        }),
    );
    for (const sender of senders) sender.on('error', () => undefined);
    while (accepts.reduce((a, b) => a + b) < 10)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(accepts).toEqual([5, 5]);
    for (const sender of senders) sender.terminate();
    for (const listener of listeners) listener.close();
  });

  it('answers 503 beyond maxPendingAcceptsPerEntity and 504 when the listener never comes, then holds nothing', async () => {
    relay = await startTestRelay({
      limits: {maxPendingAcceptsPerEntity: 2, rendezvousTimeoutMs: 500},
    });
    const listener = await open('hyco', 'listen'); // takes the accept commands and ignores them
    const token = await relay.token('hyco');
    const attempt = () =>
      handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=connect`, {
        headers: {ServiceBusAuthorization: token},
      });
    const first = [attempt(), attempt()];
    while (relay.relay.stats().pendingAccepts < 2)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await attempt()).toMatchObject({
      status: 503,
      statusMessage: expect.stringMatching(/^ServerBusy: 2 senders already wait/),
    });
    for (const outcome of await Promise.all(first)) {
      expect(outcome).toMatchObject({
        status: 504,
        statusMessage: expect.stringMatching(/^GatewayTimeout: the listener did not accept/),
      });
    }
    expect(relay.relay.stats().pendingAccepts).toBe(0);
    listener.close();
  });

  it("gives the sender the listener's rejection status and the listener 410 Gone", async () => {
    relay = await startTestRelay();
    const listener = await open('hyco', 'listen');
    listener.on('message', (data: Buffer) => {
      const {accept} = JSON.parse(data.toString()) as {accept: {address: string}};
      void handshake(
        `${accept.address}&sb-hc-statusCode=403&sb-hc-statusDescription=${encodeURIComponent('Not on my watch')}`,
      ).then((outcome) => {
        listener.emit('rejected', outcome);
      });
    });
    const listenerOutcome = once(listener, 'rejected') as Promise<[unknown]>;
    const sender = await handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=connect`, {
      headers: {ServiceBusAuthorization: await relay.token('hyco')},
    });
    expect(sender).toMatchObject({
      status: 403,
      statusMessage:
        'Not on my watch TrackingId:' +
        String((sender as {body: string}).body.split('TrackingId:')[1]).trim(),
    });
    expect((await listenerOutcome)[0]).toMatchObject({status: 410});
    listener.close();
  });

  it('closes with 1009 a relayed message over maxMessageBytes, and keeps other pairs going', async () => {
    relay = await startTestRelay({limits: {maxMessageBytes: 64 * 1024}});
    const listener = await open('hyco', 'listen');
    acceptEverything(listener);
    const sender = await open('hyco', 'connect');
    sender.send(Buffer.alloc(100 * 1024));
    expect((await closeOf(sender)).code).toBe(1009);
    await stillServes();
    listener.close();
  });

  it('closes listeners with 1001 when their hybrid connection is deleted, and when the relay stops', async () => {
    relay = await startTestRelay();
    const doomed = await open('hyco', 'listen');
    const survivor = await open('hycohttp', 'listen');
    expect(await relay.relay.deleteHybridConnection('hyco')).toBe(true);
    expect(await closeOf(doomed)).toEqual({code: 1001, reason: 'EntityDeleted'});
    const closed = closeOf(survivor);
    await relay.close();
    expect(await closed).toEqual({code: 1001, reason: 'RelayShuttingDown'});
    relay = await startTestRelay(); // for afterEach
  });
});

describe('HTTP input', () => {
  it('answers 431 to a request head over maxHeaderBytes', async () => {
    relay = await startTestRelay({limits: {maxHeaderBytes: 2048}});
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${relay.httpOrigin}/hycohttp/x`,
        {headers: {'X-Big': 'y'.repeat(4096)}},
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    await stillServes();
  });

  it('drops a client that dribbles its request head (slowloris) after headersTimeoutMs', async () => {
    relay = await startTestRelay({limits: {headersTimeoutMs: 500}});
    const socket = connect(relay.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /$hc/hyco?sb-hc-action=listen HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const dribble = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    const started = Date.now();
    const reply: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => reply.push(chunk));
    await once(socket, 'close');
    clearInterval(dribble);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(Buffer.concat(reply).toString()).toMatch(/^HTTP\/1\.1 408 /);
    await stillServes();
  });

  it('answers 413 to a body over maxHttpBodyBytes, and 401/404 in HTTP mode', async () => {
    relay = await startTestRelay({limits: {maxHttpBodyBytes: 1024}});
    const listener = await open('hycohttp', 'listen');
    const token = await relay.token('hycohttp');
    const post = (path: string, headers: Record<string, string>, body: Buffer) =>
      new Promise<{status: number; text: string}>((resolve, reject) => {
        const req = request(`${relay.httpOrigin}${path}`, {method: 'POST', headers}, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({status: res.statusCode ?? 0, text}));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(
      await post('/hycohttp/x', {ServiceBusAuthorization: token}, Buffer.alloc(2048)),
    ).toMatchObject({status: 413, text: expect.stringMatching(/^PayloadTooLarge: 2048 bytes/)});
    expect(await post('/hycohttp/x', {}, Buffer.alloc(1))).toMatchObject({
      status: 401,
      text: expect.stringMatching(/^MissingToken/),
    });
    expect(
      await post('/nothing/x', {ServiceBusAuthorization: token}, Buffer.alloc(1)),
    ).toMatchObject({status: 404, text: expect.stringMatching(/^EntityNotFound/)});
    listener.close();
  });

  it('survives a flood of 300 handshakes with bad tokens and holds nothing afterwards', async () => {
    relay = await startTestRelay();
    const forgedToken = forged(await relay.token('hyco'));
    const outcomes = await Promise.all(
      Array.from({length: 300}, () =>
        handshake(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=listen`, {
          headers: {ServiceBusAuthorization: forgedToken},
        }),
      ),
    );
    expect(new Set(outcomes.map((outcome) => (outcome as {status: number}).status))).toEqual(
      new Set([401]),
    );
    expect(relay.relay.stats()).toEqual({
      listeners: 0,
      pendingAccepts: 0,
      pendingRequestRendezvous: 0,
      muxStreams: 0,
      openWebSockets: 0,
    });
    await stillServes();
  });
});
