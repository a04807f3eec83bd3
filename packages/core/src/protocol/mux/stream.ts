import {MuxError} from '../../errors.js';
import type {Resolvers} from '../../lib/settled-promise.js';
import {withResolvers} from '../../lib/settled-promise.js';
import {utf8Truncate} from '../../lib/utf8.js';
import {
  DATA_CHUNK_SIZE,
  INITIAL_WINDOW,
  MAX_REASON_BYTES,
  MAX_WINDOW,
  MuxErrorCode,
} from './constants.js';
import type {Frame} from './frame.js';
import {connectionError, describeMuxErrorCode, protocolError, quotedReason} from './wire-errors.js';

/** What {@link MuxStream}'s constructor is given by its session. */
export interface MuxStreamInit {
  id: number;
  properties: Record<string, unknown>;
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  closed: Promise<void>;
  reset: (code: number, reason: string) => void;
}

/**
 * One stream of a mux session (PROTOCOL.md §4): a readable and a writable side, each
 * flow-controlled by its own window (PROTOCOL.md §5). Get one from `MuxSession.openStream()` or
 * the session's `onStream`; never construct it.
 *
 * - Writes wait for send credit, so `writer.ready` and `await writer.write()` are backpressure;
 *   chunks go out as DATA frames of at most 64 KiB. Closing the writable sends `FIN`.
 * - The readable grants credit back as it is read, so an unread stream holds at most its
 *   window — `INITIAL_WINDOW`, grown only while the reader keeps up — and stalls only itself. It closes on the peer's `FIN`. Cancelling it
 *   before that resets the stream with `CANCEL`, since RST is the only way to stop a sender.
 * - A reset, from either side, errors both sides with `ERR_MUX_STREAM_RESET` (or
 *   `ERR_MUX_STREAM_REFUSED` when the peer refused the stream; it is safe to retry), and the
 *   session's end errors them with `ERR_MUX_SESSION_CLOSED`.
 *
 * @example
 *   const stream = session.openStream({target: 'kube-apiserver'});
 *   const writer = stream.writable.getWriter();
 *   await writer.write(new TextEncoder().encode('GET /version HTTP/1.1\r\n\r\n'));
 *   await writer.close();
 *   for await (const chunk of stream.readable) process(chunk);
 */
export class MuxStream {
  /** The stream identifier: odd when the dialer opened it, even for the acceptor (PROTOCOL.md §4.1). */
  readonly id: number;
  /** The open properties of the OPEN frame (PROTOCOL.md §3.2). */
  readonly properties: Readonly<Record<string, unknown>>;
  /** The bytes the peer sends; ends at the peer's `FIN`. */
  readonly readable: ReadableStream<Uint8Array>;
  /** The bytes to send; `close()` sends `FIN`, `abort()` resets with `CANCEL`. */
  readonly writable: WritableStream<Uint8Array>;
  /**
   * Settles when the stream is over: resolves once both directions ended with `FIN` (and
   * everything received was read or cancelled), rejects with the error of a reset or of the
   * session's end. Rejections are handled, so awaiting it is optional.
   */
  readonly closed: Promise<void>;
  readonly #reset: (code: number, reason: string) => void;

  /** @param init the parts the session built; see `MuxSession.openStream()` */
  constructor(init: MuxStreamInit) {
    this.id = init.id;
    this.properties = init.properties;
    this.readable = init.readable;
    this.writable = init.writable;
    this.closed = init.closed;
    this.#reset = init.reset;
  }

  /**
   * Aborts both directions at once (PROTOCOL.md §3.4): sends RST, discards what is buffered and
   * errors `readable`, `writable` and `closed` with `ERR_MUX_STREAM_RESET`. Does nothing once the
   * stream is over.
   *
   * @param code a `MuxErrorCode`; `CANCEL` by default
   * @param reason for the peer's logs; cut to 256 UTF-8 bytes
   * @throws MuxError `ERR_MUX_PROTOCOL` when `code` is not a `u32`
   * @example
   *   stream.reset(MuxErrorCode.CANCEL, 'client went away');
   */
  reset(code: number = MuxErrorCode.CANCEL, reason = ''): void {
    this.#reset(code, reason);
  }
}

/** What a stream needs from its session. */
export interface StreamHost {
  /** Sends a frame, unless the session is closed. */
  send(frame: Frame): void;
  /** The stream is over: forget it, and stop counting its credit (PROTOCOL.md §5.3). */
  release(channel: StreamChannel): void;
  /** The largest window a stream may grow to (PROTOCOL.md §5.2). */
  readonly maxStreamWindow: number;
  /** Whether `bytes` more credit stays within the connection's cap (PROTOCOL.md §5.3). */
  mayCommit(bytes: number): boolean;
  /** The session clock, in milliseconds. */
  now(): number;
  /** The smoothed round-trip time; `undefined` until a PING has come back (asking starts one). */
  rtt(): number | undefined;
}

const EMPTY = new Uint8Array(0);

/**
 * The session's side of a stream: its windows, its receive buffer and its state
 * (PROTOCOL.md §4.3, §5). The session routes frames here; the application sees the
 * {@link MuxStream} this builds.
 */
export class StreamChannel {
  readonly id: number;
  readonly stream: MuxStream;
  readonly #host: StreamHost;
  #error: MuxError | undefined;
  #over = false;
  // Nobody has to await `closed`: an unobserved reset is no unhandled rejection.
  readonly #closed = withResolvers<undefined>({handled: true});

  // Send direction (PROTOCOL.md §5.1): the credit the peer granted us, and who waits for more.
  #sendWindow = INITIAL_WINDOW;
  #finSent = false;
  #creditWaiter: Resolvers<undefined> | undefined;
  #writableController!: WritableStreamDefaultController;

  // Receive direction (PROTOCOL.md §5.2): window = recvWindow + unconsumed + ungranted.
  #window = INITIAL_WINDOW;
  #recvWindow = INITIAL_WINDOW;
  #lastGrantAt: number;
  readonly #inbox: Uint8Array[] = [];
  #unconsumed = 0;
  #ungranted = 0;
  #finReceived = false;
  #readableDone = false;
  #readerWaiting = false;
  #readableController!: ReadableStreamDefaultController<Uint8Array>;

  /**
   * @param id the stream identifier
   * @param properties the open properties
   * @param host the session
   */
  constructor(id: number, properties: Record<string, unknown>, host: StreamHost) {
    this.id = id;
    this.#host = host;
    this.#lastGrantAt = host.now();
    // highWaterMark 0: `pull` runs only while a reader waits, so a chunk handed over is consumed.
    const readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#readableController = controller;
        },
        pull: () => {
          this.#readerWaiting = true;
          this.#deliver();
        },
        cancel: () => {
          this.#cancelReadable();
        },
      },
      {highWaterMark: 0},
    );
    const writable = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.#writableController = controller;
      },
      write: (chunk) => this.#write(chunk),
      close: () => {
        this.#closeWritable();
      },
      abort: () => {
        this.reset(MuxErrorCode.CANCEL, '');
      },
    });
    this.stream = new MuxStream({
      id,
      properties,
      readable,
      writable,
      closed: this.#closed.promise,
      reset: (code, reason) => {
        this.reset(code, reason);
      },
    });
  }

  /** The credit this endpoint has committed to the stream (PROTOCOL.md §5.3). */
  get committed(): number {
    return (this.#finReceived ? 0 : this.#recvWindow) + this.#unconsumed;
  }

  /**
   * A DATA frame arrived (PROTOCOL.md §3.1).
   *
   * @throws MuxError a connection error: DATA after `FIN`, or beyond the window
   */
  receiveData(payload: Uint8Array, fin: boolean): void {
    // PROTOCOL.md §4.3: no DATA after FIN.
    if (this.#finReceived) {
      throw protocolError(`Mux protocol error: DATA on stream ${this.id} after FIN`);
    }
    // PROTOCOL.md §5.1: a sender never exceeds its credit.
    if (payload.length > this.#recvWindow) {
      throw connectionError(
        'ERR_MUX_FLOW_CONTROL',
        `Mux flow control violated: ${payload.length} bytes on stream ${this.id} with a window of ${this.#recvWindow}`,
      );
    }
    this.#recvWindow -= payload.length;
    if (payload.length > 0) {
      this.#inbox.push(payload);
      this.#unconsumed += payload.length;
    }
    if (fin) this.#finReceived = true;
    this.#deliver();
  }

  /**
   * A WINDOW frame arrived (PROTOCOL.md §3.3).
   *
   * @throws MuxError `ERR_MUX_FLOW_CONTROL` when the window would exceed `MAX_WINDOW`
   */
  receiveWindow(increment: number): void {
    const window = this.#sendWindow + increment;
    if (window > MAX_WINDOW) {
      throw connectionError(
        'ERR_MUX_FLOW_CONTROL',
        `Mux flow control violated: window of stream ${this.id} would be ${window} bytes (max ${MAX_WINDOW})`,
      );
    }
    this.#sendWindow = window;
    const waiter = this.#creditWaiter;
    this.#creditWaiter = undefined;
    waiter?.resolve(undefined);
  }

  /** The peer reset the stream (PROTOCOL.md §3.4, §7.3). */
  receiveReset(code: number, reason: string): void {
    const refused = code === MuxErrorCode.REFUSED_STREAM;
    const detail = `${describeMuxErrorCode(code)}${quotedReason(reason)}`;
    this.#fail(
      refused
        ? new MuxError('ERR_MUX_STREAM_REFUSED', `Mux stream ${this.id} refused by peer: ${detail}`)
        : new MuxError('ERR_MUX_STREAM_RESET', `Mux stream ${this.id} reset by peer: ${detail}`),
    );
  }

  /** Resets the stream from this side; see {@link MuxStream.reset}. */
  reset(code: number, reason: string): void {
    if (this.#over) return;
    // Sent first: an invalid code throws here, before anything changed.
    this.#host.send({
      type: 'RST',
      streamId: this.id,
      code,
      reason: utf8Truncate(reason, MAX_REASON_BYTES),
    });
    this.#fail(
      new MuxError(
        'ERR_MUX_STREAM_RESET',
        `Mux stream ${this.id} reset: ${describeMuxErrorCode(code)}`,
      ),
    );
  }

  /** The session is over: fail without a frame. */
  abort(error: MuxError): void {
    this.#fail(error);
  }

  #fail(error: MuxError): void {
    if (this.#over) return;
    this.#over = true;
    this.#error = error;
    // PROTOCOL.md §3.4: what was buffered is discarded.
    this.#inbox.length = 0;
    this.#unconsumed = 0;
    if (!this.#readableDone) {
      this.#readableDone = true;
      this.#readableController.error(error);
    }
    this.#writableController.error(error);
    const waiter = this.#creditWaiter;
    this.#creditWaiter = undefined;
    waiter?.reject(error);
    this.#closed.reject(error);
    this.#host.release(this);
  }

  /** Ends the stream normally once both directions are over (PROTOCOL.md §4.3). */
  #endIfDone(): void {
    if (this.#over || !this.#finSent || !this.#readableDone) return;
    this.#over = true;
    this.#closed.resolve(undefined);
    this.#host.release(this);
  }

  // --- receive direction ---

  /** Hands the oldest chunk to a waiting reader, and closes the readable after the last one. */
  #deliver(): void {
    if (this.#readableDone) return;
    const chunk = this.#readerWaiting ? this.#inbox.shift() : undefined;
    if (chunk !== undefined) {
      this.#readerWaiting = false;
      this.#unconsumed -= chunk.length;
      this.#ungranted += chunk.length;
      this.#readableController.enqueue(chunk);
      this.#grant();
    }
    if (this.#finReceived && this.#inbox.length === 0) {
      this.#readableDone = true;
      this.#readableController.close();
      this.#endIfDone();
    }
  }

  /**
   * PROTOCOL.md §5.2: credit goes back as the reader consumes, batched at half the window. When
   * half a window is consumed within two round trips of the last grant, the window is what
   * holds the sender back (the path's bandwidth-delay product exceeds it), not the reader: the
   * window doubles, up to `maxStreamWindow` and within the connection's cap (§5.3).
   */
  #grant(): void {
    if (this.#finReceived || this.#ungranted < this.#window / 2) return;
    let increment = this.#ungranted;
    this.#ungranted = 0;
    const now = this.#host.now();
    const rtt = this.#host.rtt();
    // A millisecond floor: the default clock counts whole milliseconds.
    const windowBound = rtt !== undefined && now - this.#lastGrantAt < 2 * Math.max(rtt, 1);
    this.#lastGrantAt = now;
    const growth = Math.min(this.#window, this.#host.maxStreamWindow - this.#window);
    if (windowBound && growth > 0 && this.#host.mayCommit(growth)) {
      this.#window += growth;
      increment += growth;
    }
    this.#recvWindow += increment;
    this.#host.send({type: 'WINDOW', streamId: this.id, increment});
  }

  #cancelReadable(): void {
    this.#readableDone = true;
    this.#inbox.length = 0;
    this.#unconsumed = 0;
    // The peer may still be sending: only RST stops it (PROTOCOL.md §4.3).
    if (this.#finReceived) this.#endIfDone();
    else this.reset(MuxErrorCode.CANCEL, 'reader cancelled');
  }

  // --- send direction ---

  async #write(chunk: Uint8Array): Promise<void> {
    // Copying is the encoder's job; the chunk itself is never kept.
    if (!(chunk instanceof Uint8Array)) throw new TypeError('Mux stream chunks must be Uint8Array');
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#sendWindow === 0) {
        this.#creditWaiter = withResolvers<undefined>();
        await this.#creditWaiter.promise;
        continue;
      }
      // PROTOCOL.md §3.1: DATA in chunks of at most 64 KiB, within the credit (§5.1).
      const size = Math.min(chunk.length - offset, this.#sendWindow, DATA_CHUNK_SIZE);
      this.#sendWindow -= size;
      this.#host.send({
        type: 'DATA',
        streamId: this.id,
        fin: false,
        payload: chunk.subarray(offset, offset + size),
      });
      offset += size;
    }
  }

  #closeWritable(): void {
    if (this.#error !== undefined) throw this.#error;
    this.#host.send({type: 'DATA', streamId: this.id, fin: true, payload: EMPTY});
    this.#finSent = true;
    this.#endIfDone();
  }
}
