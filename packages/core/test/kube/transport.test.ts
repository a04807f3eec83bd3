import {describe, expect, it} from 'vitest';

import {webSocketTransport} from '../../src/kube/index.js';
import type {WebSocketLike} from '../../src/protocol/index.js';
import {bytes, text} from './helpers.js';

type Listener = (event: never) => void;

/** A WHATWG-shaped WebSocket whose events the test fires; `pausable` adds `ws`'s pause/resume. */
class FakeSocket implements WebSocketLike {
  readyState = 1;
  protocol = '';
  binaryType = 'blob';
  readonly sent: unknown[] = [];
  closedWith: number | undefined;
  readonly #listeners = new Map<string, Set<Listener>>();

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }

  addEventListener(type: string, listener: Listener): void {
    const set = this.#listeners.get(type) ?? new Set();
    set.add(listener);
    this.#listeners.set(type, set);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.#listeners.get(type)?.delete(listener);
  }

  fire(type: string, event: object): void {
    if (type === 'close') this.readyState = 3;
    for (const listener of this.#listeners.get(type) ?? [])
      (listener as (event: object) => void)(event);
  }
}

function collect() {
  const data: string[] = [];
  const ends: (Error | undefined)[] = [];
  return {
    data,
    ends,
    receiver: {
      onData: (chunk: Uint8Array) => data.push(text(chunk)),
      onClose: (error?: Error) => ends.push(error),
    },
  };
}

describe('webSocketTransport', () => {
  it('asks for ArrayBuffers, and holds messages that arrive before anyone listens', () => {
    const socket = new FakeSocket();
    const transport = webSocketTransport(socket);
    expect(socket.binaryType).toBe('arraybuffer');
    socket.fire('message', {data: bytes('early').buffer});
    const {data, receiver} = collect();
    transport.listen(receiver);
    socket.fire('message', {data: bytes('xlatex').subarray(1, 5)});
    expect(data).toEqual(['early', 'late']);
  });

  it('sends bytes while open, and closes with 1000', () => {
    const socket = new FakeSocket();
    const transport = webSocketTransport(socket);
    transport.send(bytes('a'));
    transport.close();
    transport.send(bytes('b'));
    expect(socket.sent).toEqual([bytes('a')]);
    expect(socket.closedWith).toBe(1000);
  });

  it('ends cleanly on 1000, and with ERR_KUBE_CONNECTION_CLOSED on another code', () => {
    const clean = new FakeSocket();
    const first = collect();
    webSocketTransport(clean).listen(first.receiver);
    clean.fire('close', {code: 1000, reason: ''});
    expect(first.ends).toEqual([undefined]);

    const broken = new FakeSocket();
    const second = collect();
    webSocketTransport(broken).listen(second.receiver);
    broken.fire('close', {code: 1011, reason: 'listener gone'});
    expect(second.ends).toEqual([
      expect.objectContaining({
        code: 'ERR_KUBE_CONNECTION_CLOSED',
        message: 'Connection closed with 1011: listener gone',
        closeCode: 1011,
      }),
    ]);
  });

  it("reports an error event as the end's cause", () => {
    const socket = new FakeSocket();
    const {ends, receiver} = collect();
    webSocketTransport(socket).listen(receiver);
    const cause = new Error('ECONNRESET');
    socket.fire('error', {error: cause});
    socket.fire('close', {code: 1006, reason: ''});
    expect(ends).toEqual([
      expect.objectContaining({message: 'Connection failed: ECONNRESET', cause}),
    ]);
  });

  it('ends with ERR_KUBE_HTTP_PROTOCOL on a text message, which is not part of the byte stream', () => {
    const socket = new FakeSocket();
    const {ends, receiver} = collect();
    webSocketTransport(socket).listen(receiver);
    socket.fire('message', {data: 'text'});
    expect(ends).toEqual([expect.objectContaining({code: 'ERR_KUBE_HTTP_PROTOCOL'})]);
    expect(socket.closedWith).toBe(1003);
  });

  it("pauses and resumes a socket that can (Node's ws), and offers neither otherwise", () => {
    expect('pause' in webSocketTransport(new FakeSocket())).toBe(false);
    const calls: string[] = [];
    const pausable = Object.assign(new FakeSocket(), {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
    });
    const transport = webSocketTransport(pausable);
    transport.pause?.();
    transport.resume?.();
    expect(calls).toEqual(['pause', 'resume']);
  });
});
