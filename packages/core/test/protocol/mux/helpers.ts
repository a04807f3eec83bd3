// Shared by the mux tests: hex fixtures, a manual clock, and two sessions wired to each other.
import type {MuxError} from '../../../src/index.js';
import {FrameDecoder, MuxSession, encodeFrame} from '../../../src/protocol/index.js';
import type {
  Frame,
  MuxClock,
  MuxSessionOptions,
  MuxStream,
  MuxTransport,
} from '../../../src/protocol/index.js';

/** Bytes from hex written with any spacing: `hex('04 01 00000000')`. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex: ${text}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Lowercase hex without spaces. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
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

/** Decodes whole frames, failing the test on a decode error. */
export function decodeFrames(chunks: readonly Uint8Array[]): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder({
    onFrame: (frame) => frames.push(frame),
    onError: (error) => {
      throw error;
    },
  });
  for (const chunk of chunks) decoder.push(chunk);
  return frames;
}

/** Time that moves only when told to; timers fire in order inside {@link advance}. */
export class ManualClock implements MuxClock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, {at: number; callback: () => void}>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, {at: this.#now + ms, callback});
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing each timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, {at: number; callback: () => void}] | undefined;
      for (const entry of this.#timers)
        if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
    }
    this.#now = end;
  }
}

/** A transport that records what a session sends and how it closes. */
export class RecordingTransport implements MuxTransport {
  readonly sent: Uint8Array[] = [];
  readonly closes: [code: number, reason: string][] = [];

  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }

  /** Every frame sent so far, decoded. */
  frames(): Frame[] {
    return decodeFrames(this.sent);
  }

  /** Frames sent since the last call. */
  take(): Frame[] {
    const frames = decodeFrames(this.sent);
    this.sent.length = 0;
    return frames;
  }
}

type SideOptions = Omit<MuxSessionOptions, 'role' | 'clock'>;

export interface Pair {
  dialer: MuxSession;
  acceptor: MuxSession;
  clock: ManualClock;
  /** Bytes each side has sent. */
  sentBytes: {dialer: number; acceptor: number};
}

/**
 * Two sessions wired to each other in memory. Delivery is asynchronous (a microtask per
 * message, in order), like a socket; `beforeDeliver` may, for example, move the clock.
 */
export function connectPair(
  options: {
    dialer?: SideOptions;
    acceptor?: SideOptions;
    beforeDeliver?: () => void;
    /** Re-splits every message into pieces of this size, as a byte stream allows (PROTOCOL.md §1.2). */
    splitInto?: number;
  } = {},
): Pair {
  const clock = new ManualClock();
  const sentBytes = {dialer: 0, acceptor: 0};
  const sides: {dialer?: MuxSession; acceptor?: MuxSession} = {};
  const transport = (from: 'dialer' | 'acceptor'): MuxTransport => {
    const to = from === 'dialer' ? 'acceptor' : 'dialer';
    let open = true;
    return {
      send(bytes) {
        if (!open) return;
        sentBytes[from] += bytes.length;
        const size = options.splitInto ?? bytes.length;
        for (let start = 0; start < bytes.length; start += size) {
          const piece = bytes.subarray(start, start + size);
          queueMicrotask(() => {
            options.beforeDeliver?.();
            sides[to]?.receive(piece);
          });
        }
      },
      close(code, reason) {
        if (!open) return;
        open = false;
        queueMicrotask(() => sides[to]?.transportClosed(code, reason));
      },
    };
  };
  const dialer = new MuxSession(transport('dialer'), {...options.dialer, role: 'dialer', clock});
  const acceptor = new MuxSession(transport('acceptor'), {
    ...options.acceptor,
    role: 'acceptor',
    clock,
  });
  sides.dialer = dialer;
  sides.acceptor = acceptor;
  return {dialer, acceptor, clock, sentBytes};
}

/** Lets every queued delivery and stream callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Reads a readable to its end. */
export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = readable.getReader();
  for (;;) {
    const {done, value} = await reader.read();
    if (done) return concat(chunks);
    chunks.push(value);
  }
}

/**
 * '' when `actual` and `expected` hold the same bytes, else where they differ. (vitest's deep
 * equality takes seconds on a megabyte.)
 */
export function bytesDiff(actual: Uint8Array, expected: Uint8Array): string {
  const length = Math.min(actual.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (actual[i] !== expected[i]) return `byte ${i}: ${actual[i]} instead of ${expected[i]}`;
  }
  return actual.length === expected.length
    ? ''
    : `${actual.length} bytes instead of ${expected.length}`;
}

/** Bytes 0, 1, 2, … 255, 0, … of the given length, so misordering shows. */
export function pattern(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({length}, (_, i) => (i + seed) & 0xff);
}

/** The error a function throws. */
export function thrownBy(fn: () => unknown): MuxError {
  try {
    fn();
  } catch (error) {
    return error as MuxError;
  }
  throw new Error('expected an exception');
}

/** The error a promise rejects with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<MuxError> {
  try {
    await promise;
  } catch (error) {
    return error as MuxError;
  }
  throw new Error('expected a rejection');
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export interface RawPeer {
  session: MuxSession;
  transport: RecordingTransport;
  clock: ManualClock;
  /** Streams the session accepted. */
  accepted: MuxStream[];
  /** Sends frames to the session as the (hand-driven) peer, in one message. */
  feed: (...frames: Frame[]) => void;
}

/**
 * A session whose peer is the test itself: frames go in through `feed`, and what the session
 * sends is recorded. For hostile and exact-byte scenarios.
 */
export function rawPeer(options: Partial<MuxSessionOptions> = {}): RawPeer {
  const clock = new ManualClock();
  const transport = new RecordingTransport();
  const accepted: MuxStream[] = [];
  const session = new MuxSession(transport, {
    role: 'acceptor',
    onStream: (stream) => accepted.push(stream),
    clock,
    ...options,
  });
  return {
    session,
    transport,
    clock,
    accepted,
    feed: (...frames) => {
      session.receive(concat(frames.map((frame) => encodeFrame(frame))));
    },
  };
}
