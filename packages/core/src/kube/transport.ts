import {KubeError} from '../errors.js';
import {connectSender} from '../protocol/hybrid-connections/sender.js';
import type {SenderOptions} from '../protocol/hybrid-connections/sender.js';
import {WebSocketState, preferBytes} from '../protocol/hybrid-connections/web-socket.js';
import type {WebSocketLike} from '../protocol/hybrid-connections/web-socket.js';

/** Where a {@link KubeTransport} delivers what arrives. */
export interface TransportReceiver {
  /**
   * The next bytes of the stream, in order. The receiver may keep views of `bytes`: a transport
   * never writes to a buffer it has handed over.
   */
  onData(bytes: Uint8Array): void;
  /** The stream ended, once: cleanly (`error` undefined) or because it failed. */
  onClose(error?: Error): void;
}

/**
 * A reliable, ordered byte stream to something that speaks HTTP/1.1 — the cluster agent at the
 * other end of a Hybrid Connections sender socket, or any socket. Small on purpose, so that any
 * platform's stream adapts to it: see {@link webSocketTransport}.
 */
export interface KubeTransport {
  /** Sends bytes; after the stream has ended they are dropped. The caller does not reuse `bytes`. */
  send(bytes: Uint8Array): void;
  /** Ends the stream; the receiver's `onClose` follows. */
  close(): void;
  /**
   * Starts delivery to `receiver`; called once. Bytes that arrived earlier are held until then,
   * so nothing is lost between opening the stream and listening.
   */
  listen(receiver: TransportReceiver): void;
  /** Stops delivery for now, where the platform can (backpressure); optional. */
  pause?(): void;
  /** Resumes delivery after {@link pause}. */
  resume?(): void;
  /** Bytes sent but not yet written out, where the platform tells. */
  readonly bufferedAmount?: number | undefined;
}

interface MessageEventLike {
  data: unknown;
}
interface CloseEventLike {
  code: number;
  reason: string;
}
interface ErrorEventLike {
  message?: string;
  error?: unknown;
}

/** Node's `ws` can pause a socket; WHATWG WebSockets cannot. */
interface PausableSocket {
  pause(): void;
  resume(): void;
}

function isPausable(socket: object): socket is PausableSocket {
  const candidate = socket as Partial<Record<'pause' | 'resume', unknown>>;
  return typeof candidate.pause === 'function' && typeof candidate.resume === 'function';
}

/**
 * A {@link KubeTransport} over an open WebSocket whose binary messages are the byte stream, as
 * a Hybrid Connections sender socket is (hybrid-connections.md §1.3). A text message is not
 * part of the stream: it ends the transport with `ERR_KUBE_HTTP_PROTOCOL`.
 *
 * Browsers cannot pause a WebSocket, so there a slow reader's bytes wait in the body stream's
 * queue; on Node's `ws` the transport pauses the socket instead.
 *
 * @param socket an open WebSocket, e.g. from `connectSender`
 * @example
 *   const socket = await connectSender({address, token, tokenPlacement: 'query', webSocket});
 *   const transport = webSocketTransport(socket);
 */
export function webSocketTransport(socket: WebSocketLike): KubeTransport {
  preferBytes(socket);
  const slot = new ReceiverSlot();
  let failure: Error | undefined;
  const onMessage = (event: MessageEventLike) => {
    const {data} = event;
    if (data instanceof ArrayBuffer) slot.data(new Uint8Array(data));
    else if (ArrayBuffer.isView(data))
      slot.data(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else {
      slot.end(
        new KubeError('ERR_KUBE_HTTP_PROTOCOL', 'Invalid byte stream: a text message arrived'),
      );
      socket.close(1003, 'binary messages only');
    }
  };
  const onError = (event: ErrorEventLike) => {
    const text =
      event.message ?? (event.error instanceof Error ? event.error.message : 'connection error');
    failure = new KubeError('ERR_KUBE_CONNECTION_CLOSED', `Connection failed: ${text}`, {
      cause: event.error,
    });
  };
  const onClose = (event: CloseEventLike) => {
    // 1000 and 1005 (no code) are an orderly end; anything else is a failure of the path.
    if (failure === undefined && event.code !== 1000 && event.code !== 1005) {
      const reason = event.reason === '' ? '' : `: ${event.reason}`;
      failure = new KubeError(
        'ERR_KUBE_CONNECTION_CLOSED',
        `Connection closed with ${event.code}${reason}`,
        {closeCode: event.code},
      );
    }
    slot.end(failure);
  };
  socket.addEventListener('message', onMessage);
  socket.addEventListener('error', onError);
  socket.addEventListener('close', onClose);
  if (socket.readyState === WebSocketState.CLOSED) slot.end(undefined);

  const transport: KubeTransport = {
    send(bytes) {
      if (!slot.ended && socket.readyState === WebSocketState.OPEN) socket.send(bytes);
    },
    close() {
      if (socket.readyState < WebSocketState.CLOSING) socket.close(1000);
    },
    listen(receiver) {
      slot.listen(receiver);
    },
    get bufferedAmount() {
      const amount = (socket as Partial<Record<'bufferedAmount', unknown>>).bufferedAmount;
      return typeof amount === 'number' ? amount : undefined;
    },
  };
  if (isPausable(socket)) {
    transport.pause = () => {
      socket.pause();
    };
    transport.resume = () => {
      socket.resume();
    };
  }
  return transport;
}

/**
 * The receiving half of a transport: it holds what arrives before anyone listens, and the end,
 * then hands both on in order. Internal to the transports of this folder.
 */
export class ReceiverSlot {
  #receiver: TransportReceiver | undefined;
  readonly #early: Uint8Array[] = [];
  #ended: {error: Error | undefined} | undefined;

  /** Whether the stream has ended. */
  get ended(): boolean {
    return this.#ended !== undefined;
  }

  /**
   * @throws Error on a second receiver (a bug in the caller)
   */
  listen(receiver: TransportReceiver): void {
    if (this.#receiver !== undefined) throw new Error('A transport has one receiver');
    this.#receiver = receiver;
    for (const bytes of this.#early.splice(0)) receiver.onData(bytes);
    if (this.#ended !== undefined) receiver.onClose(this.#ended.error);
  }

  data(bytes: Uint8Array): void {
    if (this.#ended !== undefined) return;
    if (this.#receiver === undefined) this.#early.push(bytes);
    else this.#receiver.onData(bytes);
  }

  end(error?: Error): void {
    if (this.#ended !== undefined) return;
    this.#ended = {error};
    this.#receiver?.onClose(error);
  }
}

/**
 * Opens a stream to a cluster's agent through a relay: a Hybrid Connections sender socket
 * (hybrid-connections.md §1.3) as a {@link KubeTransport}. Pass it, wrapped in a function, as
 * `KubeClient`'s `connect`, so that every connection the client needs opens a new one.
 *
 * @param options as `connectSender`'s; browsers use `tokenPlacement: 'query'`
 * @throws HybridConnectionError `ERR_HC_HANDSHAKE_FAILED` (404: no agent listening)
 * @example
 *   const client = new KubeClient({
 *     connect: () => hybridConnectionTransport({address, token: sasToken, tokenPlacement: 'query', webSocket}),
 *     token: () => msal.acquireToken(),
 *   });
 */
export async function hybridConnectionTransport(options: SenderOptions): Promise<KubeTransport> {
  return webSocketTransport(await connectSender(options));
}
