// Shared by the kube tests: bytes from text, splitting, an in-memory byte stream and a small
// HTTP/1.1 server on its other end. These are unit tests of the codecs and the client over a
// byte stream; the real path (relay, agent, apiserver) is the agent-bridge e2e test's.
import {ReceiverSlot} from '../../src/kube/transport.js';
import type {KubeTransport, TransportReceiver} from '../../src/kube/index.js';

/** Latin-1 bytes of `text`: one byte per character, as HTTP heads are written. */
export function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Text of `data` as Latin-1. */
export function text(data: Uint8Array): string {
  return String.fromCharCode(...data);
}

export function utf8(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** Bytes from hex written with any spacing: `hex('81 05 48656c6c6f')`. */
export function hex(value: string): Uint8Array {
  const digits = value.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex: ${value}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** `data` cut at the given points (any order, duplicates allowed). */
export function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.slice(start, point));
    start = point;
  }
  return chunks;
}

/** Every way to cut `data` in two, and the cut into single bytes. */
export function everySplit(data: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [];
  for (let i = 0; i <= data.length; i++) ways.push([data.slice(0, i), data.slice(i)]);
  ways.push(Array.from(data, (byte) => Uint8Array.of(byte)));
  return ways;
}

/** Lets queued promise callbacks and stream steps run. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A byte stream in memory. The client's side is the {@link KubeTransport}; the test plays the
 * server with `push`, `end` and `onSend`. Like a socket, it reports the end asynchronously.
 */
export class MemoryTransport implements KubeTransport {
  readonly sent: Uint8Array[] = [];
  closedByClient = false;
  pauses = 0;
  resumes = 0;
  paused = false;
  /** Called with each send, for a scripted server. */
  onSend: ((data: Uint8Array) => void) | undefined;
  readonly #slot = new ReceiverSlot();

  send(data: Uint8Array): void {
    if (this.closedByClient || this.#slot.ended) return;
    this.sent.push(data);
    this.onSend?.(data);
  }

  close(): void {
    if (this.closedByClient) return;
    this.closedByClient = true;
    queueMicrotask(() => {
      this.#slot.end();
    });
  }

  listen(receiver: TransportReceiver): void {
    this.#slot.listen(receiver);
  }

  pause(): void {
    this.paused = true;
    this.pauses++;
  }

  resume(): void {
    this.paused = false;
    this.resumes++;
  }

  /** The server sends. */
  push(data: Uint8Array | string): void {
    this.#slot.data(typeof data === 'string' ? bytes(data) : data);
  }

  /** The server ends the stream. */
  end(error?: Error): void {
    this.#slot.end(error);
  }

  /** What the client sent, joined, and forgotten. */
  takeSent(): Uint8Array {
    const all = concat(this.sent);
    this.sent.length = 0;
    return all;
  }
}

/** A request as the scripted server saw it. */
export interface SeenRequest {
  method: string;
  target: string;
  headers: Headers;
  body: Uint8Array;
}

/**
 * Plays an HTTP/1.1 server on `transport`: parses each request the client sends (head and
 * `Content-Length` body) and answers with what `respond` returns, if anything. Returns the
 * requests seen so far.
 */
export function serveHttp(
  transport: MemoryTransport,
  respond: (request: SeenRequest, transport: MemoryTransport) => string | Uint8Array | undefined,
): SeenRequest[] {
  const seen: SeenRequest[] = [];
  let buffer: Uint8Array = new Uint8Array(0);
  transport.onSend = (data) => {
    buffer = concat([buffer, data]);
    for (;;) {
      const head = text(buffer).indexOf('\r\n\r\n');
      if (head === -1) return;
      const lines = text(buffer.subarray(0, head)).split('\r\n');
      const [method = '', target = ''] = (lines.shift() ?? '').split(' ');
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? '0');
      if (buffer.length < head + 4 + length) return;
      const body = buffer.slice(head + 4, head + 4 + length);
      buffer = buffer.slice(head + 4 + length);
      const request = {method, target, headers, body};
      seen.push(request);
      const answer = respond(request, transport);
      if (answer !== undefined) transport.push(answer);
    }
  };
  return seen;
}

/** Reads a stream to its end. */
export async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader();
  const chunks: T[] = [];
  for (;;) {
    const {done, value} = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

/** A byte stream read to its end, as UTF-8 text. */
export async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder().decode(concat(await readAll(stream)));
}
