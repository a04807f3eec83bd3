import {KubeError} from '../errors.js';
import {utf8Decode} from '../lib/utf8.js';

/** One event of a watch (meta/v1 `WatchEvent`). */
export interface WatchEvent<T = KubeObject> {
  /** `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, or `ERROR` (then `object` is a `Status`: 410 Gone asks for a new list). */
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Any Kubernetes object, loosely typed. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

const LF = 0x0a;
const TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * Splits a watch body — one JSON `WatchEvent` per line — into events, as they arrive. A line
 * longer than `maxLineBytes` is `ERR_KUBE_BODY_TOO_LARGE`; a line that is not an event is
 * `ERR_KUBE_RESPONSE_INVALID`. Either cancels the body, which ends its connection.
 *
 * @param maxLineBytes the longest event accepted
 */
export function watchEventStream<T>(
  maxLineBytes: number,
): TransformStream<Uint8Array, WatchEvent<T>> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const emit = (line: Uint8Array, controller: TransformStreamDefaultController<WatchEvent<T>>) => {
    const text = utf8Decode(line);
    if (text === undefined) throw invalid('a watch event is not UTF-8');
    if (text.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (cause) {
      throw new KubeError('ERR_KUBE_RESPONSE_INVALID', 'Invalid watch event: not JSON', {cause});
    }
    const {type, object} = (event ?? {}) as {type?: unknown; object?: unknown};
    if (
      typeof type !== 'string' ||
      !TYPES.has(type) ||
      typeof object !== 'object' ||
      object === null
    )
      throw invalid('a watch event needs a known "type" and an "object"');
    controller.enqueue(event as WatchEvent<T>);
  };
  const tooLarge = () =>
    new KubeError(
      'ERR_KUBE_BODY_TOO_LARGE',
      `Watch event exceeds maxBodyBytes (${maxLineBytes} bytes)`,
    );
  return new TransformStream<Uint8Array, WatchEvent<T>>({
    transform(chunk, controller) {
      let start = 0;
      for (let end = chunk.indexOf(LF); end !== -1; end = chunk.indexOf(LF, start)) {
        const piece = chunk.subarray(start, end);
        start = end + 1;
        if (pendingBytes + piece.length > maxLineBytes) throw tooLarge();
        const line =
          pending.length === 0 ? piece : concat([...pending, piece], pendingBytes + piece.length);
        pending = [];
        pendingBytes = 0;
        emit(line, controller);
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        pendingBytes += rest.length;
        if (pendingBytes > maxLineBytes) throw tooLarge();
        pending.push(rest);
      }
    },
    flush(controller) {
      if (pending.length > 0) emit(concat(pending, pendingBytes), controller);
    },
  });
}

/**
 * The events of a watch, as an async iterator. `return()` — a `break` out of `for await`, or
 * {@link close} — cancels the body, which ends the connection and so the watch on the server.
 *
 * @example
 *   const events = await client.watch({apiVersion: 'v1', resource: 'pods', namespace: 'web'});
 *   for await (const {type, object} of events) if (type === 'DELETED') break;
 */
export class KubeWatch<T = KubeObject> implements AsyncIterableIterator<WatchEvent<T>> {
  readonly #reader: ReadableStreamDefaultReader<WatchEvent<T>>;

  /** @param events the parsed events; the watch reads them from now on */
  constructor(events: ReadableStream<WatchEvent<T>>) {
    this.#reader = events.getReader();
  }

  /** The next event; done when the server ended the watch (its timeout) or it was closed. */
  async next(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    const {done, value} = await this.#reader.read();
    return done ? {done: true, value: undefined} : {done: false, value};
  }

  /** Stops the watch; a pending `next()` resolves done. Never rejects, even after an error. */
  async return(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    await this.#reader.cancel().catch(() => undefined);
    return {done: true, value: undefined};
  }

  /** Stops the watch: the same as `return()`. */
  async close(): Promise<void> {
    await this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function invalid(what: string): KubeError {
  return new KubeError('ERR_KUBE_RESPONSE_INVALID', `Invalid watch event: ${what}`);
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
