import {KubeError} from '../../errors.js';
import {withResolvers} from '../../lib/settled-promise.js';
import {utf8Decode} from '../../lib/utf8.js';
import type {ExecProtocol, KubeLimits} from '../constants.js';
import {CloseCode, EXEC_PROTOCOLS, ExecChannel, KUBE_DEFAULTS} from '../constants.js';
import type {HttpConnection} from '../http/http-connection.js';
import type {KubeStatus} from '../status.js';
import {openWebSocket} from '../web-socket/handshake.js';
import {WebSocketClientState} from '../web-socket/web-socket-client.js';
import type {
  WebSocketClient,
  WebSocketCloseEvent,
  WebSocketHandler,
} from '../web-socket/web-socket-client.js';

/** How an exec'd (or attached) process ended. */
export interface ExecExit {
  /** The exit code: 0 for `Success`, else from `details.causes[reason=ExitCode]`. */
  code: number;
  /** The `Status` from the error channel, as sent. */
  status: KubeStatus;
}

/** A terminal size, in characters. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** Options of {@link ExecSession.open}. */
export interface ExecSessionOptions extends Partial<
  Pick<KubeLimits, 'maxMessageSize' | 'closeTimeoutMs' | 'maxBodyBytes' | 'bodyHighWaterMark'>
> {
  /** Whether the request asked for stdin (`stdin=true`): writes are refused otherwise. */
  stdin?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Standard input is sent in messages of at most this many bytes (kubectl's 32 KiB buffers). */
const STDIN_MESSAGE_BYTES = 32_768;
/** While more than this is unsent on the transport, stdin writes wait. */
const STDIN_HIGH_WATER_MARK = 1_048_576;
const STDIN_DRAIN_POLL_MS = 10;

const encoder = new TextEncoder();

/**
 * A process in a container, through the Kubernetes remote-command protocol over a WebSocket
 * (`v5.channel.k8s.io`, or `v4.channel.k8s.io` from older apiservers): each binary message
 * starts with its channel byte (see `ExecChannel`).
 *
 * - `stdin` sends channel 0; closing it sends v5's close-channel message (255, 0), which
 *   v4 cannot say (the process then sees no end of input).
 * - `stdout`/`stderr` stream channels 1 and 2 with backpressure: while a reader lags, the
 *   transport is paused where it can be. A TTY merges stderr into stdout.
 * - `exit` settles from the `Status` on channel 3.
 *
 * @example
 *   const session = await client.exec('web', {namespace: 'default', command: ['echo', 'hi']});
 *   const output = await new Response(session.stdout).text();
 *   const {code} = await session.exit;
 */
export class ExecSession {
  /** The negotiated subprotocol. */
  readonly protocol: ExecProtocol;
  /** The process's standard input. */
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /**
   * Settles once the process has ended and its status arrived. Rejects with `ERR_KUBE_STATUS`
   * for a failure other than an exit code (the container is gone, for one), or with why the
   * session ended without a status. Rejections are handled, so awaiting it is optional.
   */
  readonly exit: Promise<ExecExit>;
  readonly #socket: WebSocketClient;

  private constructor(channels: ExecChannels, socket: WebSocketClient, protocol: ExecProtocol) {
    this.protocol = protocol;
    this.stdin = channels.stdin;
    this.stdout = channels.stdout;
    this.stderr = channels.stderr;
    this.exit = channels.exit;
    this.#socket = socket;
  }

  /**
   * Upgrades `connection` to a remote-command WebSocket on `target` (an `exec` or `attach`
   * URL with its query).
   *
   * @throws KubeError `ERR_KUBE_STATUS` when refused (403 keeps the `Status` message),
   *   `ERR_KUBE_WEBSOCKET_HANDSHAKE` when neither subprotocol is chosen
   */
  static async open(
    connection: HttpConnection,
    target: string,
    options: ExecSessionOptions = {},
  ): Promise<ExecSession> {
    const channels = new ExecChannels(options);
    const socket = await openWebSocket(
      connection,
      {target, protocols: EXEC_PROTOCOLS, ...(options.headers ? {headers: options.headers} : {})},
      channels,
      options,
    );
    const protocol = EXEC_PROTOCOLS.find((offered) => offered === socket.protocol);
    if (protocol === undefined) {
      socket.close(CloseCode.PROTOCOL_ERROR, 'no subprotocol');
      throw new KubeError(
        'ERR_KUBE_WEBSOCKET_HANDSHAKE',
        `WebSocket handshake failed: the server chose no remote-command subprotocol (offered ${EXEC_PROTOCOLS.join(', ')})`,
      );
    }
    channels.attach(socket, protocol);
    return new ExecSession(channels, socket, protocol);
  }

  /**
   * Sends the terminal's size on the resize channel, `{"Width": w, "Height": h}`; meaningful
   * with a TTY. Ignored once the session is closing.
   */
  resize(size: TerminalSize): void {
    if (this.#socket.state !== WebSocketClientState.OPEN) return;
    const json = JSON.stringify({Width: size.width, Height: size.height});
    this.#socket.send(withChannel(ExecChannel.RESIZE, encoder.encode(json)));
  }

  /** Ends the session (WebSocket close 1000); the process sees its streams close. */
  close(): void {
    this.#socket.close(CloseCode.NORMAL);
  }
}

/** The channels of one session: the WebSocket's handler, and the streams it feeds. */
class ExecChannels implements WebSocketHandler {
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exit: Promise<ExecExit>;
  readonly #exit = withResolvers<ExecExit>({handled: true});
  readonly #maxStatusBytes: number;
  readonly #outputs: Map<number, ReadableStreamDefaultController<Uint8Array> | undefined>;
  readonly #stdinAllowed: boolean;
  #socket: WebSocketClient | undefined;
  #protocol: ExecProtocol = 'v4.channel.k8s.io';
  #statusBytes: Uint8Array[] = [];
  #statusLength = 0;
  #settled = false;
  #paused = false;

  constructor(options: ExecSessionOptions) {
    this.exit = this.#exit.promise;
    this.#maxStatusBytes = options.maxBodyBytes ?? KUBE_DEFAULTS.maxBodyBytes;
    this.#stdinAllowed = options.stdin === true;
    const highWaterMark = options.bodyHighWaterMark ?? KUBE_DEFAULTS.bodyHighWaterMark;
    this.#outputs = new Map();
    const output = (channel: number) =>
      new ReadableStream<Uint8Array>(
        {
          start: (controller) => {
            this.#outputs.set(channel, controller);
          },
          pull: () => {
            this.#resumeIfRoom();
          },
          cancel: () => {
            // A reader that no longer wants a channel does not hold the others back.
            this.#outputs.set(channel, undefined);
            this.#resumeIfRoom();
          },
        },
        {highWaterMark, size: (chunk) => chunk.byteLength},
      );
    this.stdout = output(ExecChannel.STDOUT);
    this.stderr = output(ExecChannel.STDERR);
    this.stdin = new WritableStream<Uint8Array>({
      write: (chunk) => this.#writeStdin(chunk),
      close: () => {
        this.#closeStdin();
      },
      abort: () => {
        this.#closeStdin();
      },
    });
  }

  attach(socket: WebSocketClient, protocol: ExecProtocol): void {
    this.#socket = socket;
    this.#protocol = protocol;
    // Messages that came with the handshake may have filled a stream already.
    for (const controller of this.#outputs.values()) this.#pauseIfFull(controller);
  }

  onMessage(data: Uint8Array, binary: boolean): void {
    // v4 and v5 are binary; the base64 protocols of old were never offered.
    if (!binary || data.length === 0) return;
    const channel = data[0] ?? 0;
    const payload = data.subarray(1);
    switch (channel) {
      case ExecChannel.STDOUT:
      case ExecChannel.STDERR:
        this.#output(channel, payload);
        return;
      case ExecChannel.ERROR:
        this.#onStatusBytes(payload);
        return;
      case ExecChannel.CLOSE: {
        // v5: the server will write no more on the channel named next.
        const closed = payload[0];
        if (closed !== undefined) {
          this.#outputs.get(closed)?.close();
          this.#outputs.set(closed, undefined);
        }
        return;
      }
      default:
        // client-go discards messages on channels it does not know; so do we.
        return;
    }
  }

  onClose(event: WebSocketCloseEvent): void {
    for (const [channel, controller] of this.#outputs) {
      if (controller === undefined) continue;
      if (event.error === undefined) controller.close();
      else controller.error(event.error);
      this.#outputs.set(channel, undefined);
    }
    if (this.#settled) return;
    if (this.#statusLength > 0) {
      this.#onStatusText(true);
      return;
    }
    this.#settle(
      event.error ??
        new KubeError(
          'ERR_KUBE_CHANNEL_PROTOCOL',
          `Remote command ended without a status (WebSocket closed with ${event.code})`,
        ),
    );
  }

  #output(channel: number, payload: Uint8Array): void {
    const controller = this.#outputs.get(channel);
    if (controller === undefined || payload.length === 0) return;
    controller.enqueue(payload);
    this.#pauseIfFull(controller);
  }

  #pauseIfFull(controller: ReadableStreamDefaultController<Uint8Array> | undefined): void {
    if (this.#paused || this.#socket === undefined || controller === undefined) return;
    if ((controller.desiredSize ?? 1) > 0) return;
    this.#paused = true;
    this.#socket.pause();
  }

  #resumeIfRoom(): void {
    if (!this.#paused) return;
    for (const controller of this.#outputs.values())
      if (controller !== undefined && (controller.desiredSize ?? 1) <= 0) return;
    this.#paused = false;
    this.#socket?.resume();
  }

  /** The error channel carries one JSON `Status`, possibly over several messages. */
  #onStatusBytes(payload: Uint8Array): void {
    if (this.#settled || payload.length === 0) return;
    this.#statusLength += payload.length;
    if (this.#statusLength > this.#maxStatusBytes) {
      this.#settle(
        new KubeError(
          'ERR_KUBE_BODY_TOO_LARGE',
          `Remote command status exceeds maxBodyBytes (${this.#maxStatusBytes} bytes)`,
        ),
      );
      return;
    }
    this.#statusBytes.push(payload);
    this.#onStatusText(false);
  }

  /** Settles `exit` once the status parses; `final`: no more bytes will come, so settle now. */
  #onStatusText(final: boolean): void {
    const bytes = new Uint8Array(this.#statusLength);
    let offset = 0;
    for (const part of this.#statusBytes) {
      bytes.set(part, offset);
      offset += part.length;
    }
    let status: unknown;
    try {
      status = JSON.parse(utf8Decode(bytes) ?? '');
    } catch {
      if (final)
        this.#settle(
          new KubeError('ERR_KUBE_CHANNEL_PROTOCOL', 'Remote command status is not JSON'),
        );
      return;
    }
    this.#settle(exitFromStatus(status));
  }

  #settle(outcome: ExecExit | KubeError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#statusBytes = [];
    if (outcome instanceof KubeError) this.#exit.reject(outcome);
    else this.#exit.resolve(outcome);
  }

  async #writeStdin(chunk: Uint8Array): Promise<void> {
    if (!this.#stdinAllowed)
      throw new KubeError('ERR_KUBE_REQUEST_INVALID', 'Invalid request: stdin was not requested');
    for (let offset = 0; offset < chunk.length; offset += STDIN_MESSAGE_BYTES) {
      const socket = this.#openSocket();
      socket.send(
        withChannel(ExecChannel.STDIN, chunk.subarray(offset, offset + STDIN_MESSAGE_BYTES)),
      );
      while (
        socket.bufferedAmount > STDIN_HIGH_WATER_MARK &&
        socket.state === WebSocketClientState.OPEN
      )
        await new Promise((resolve) => setTimeout(resolve, STDIN_DRAIN_POLL_MS));
    }
  }

  #closeStdin(): void {
    const socket = this.#socket;
    // KEP-4006: v5's close signal; v4 has no way to end stdin but closing the whole session.
    if (socket?.state === WebSocketClientState.OPEN && this.#protocol === 'v5.channel.k8s.io')
      socket.send(new Uint8Array([ExecChannel.CLOSE, ExecChannel.STDIN]));
  }

  #openSocket(): WebSocketClient {
    const socket = this.#socket;
    if (socket?.state !== WebSocketClientState.OPEN)
      throw new KubeError('ERR_KUBE_CONNECTION_CLOSED', 'Remote command session is closed');
    return socket;
  }
}

function withChannel(channel: number, payload: Uint8Array): Uint8Array {
  const message = new Uint8Array(1 + payload.length);
  message[0] = channel;
  message.set(payload, 1);
  return message;
}

/**
 * The exit of a remote command from its `Status`: `Success` is 0, `NonZeroExitCode` carries
 * the code in `details.causes[reason=ExitCode].message`, and any other failure is an error.
 */
export function exitFromStatus(value: unknown): ExecExit | KubeError {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return new KubeError('ERR_KUBE_CHANNEL_PROTOCOL', 'Remote command status is not an object');
  const status = value as KubeStatus;
  if (status.status === 'Success') return {code: 0, status};
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((each) => each.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (cause?.message === undefined || !Number.isInteger(code))
      return new KubeError(
        'ERR_KUBE_CHANNEL_PROTOCOL',
        'Remote command status NonZeroExitCode has no ExitCode cause',
      );
    return {code, status};
  }
  return new KubeError('ERR_KUBE_STATUS', status.message ?? 'Remote command failed', {
    ...(status.code === undefined ? {} : {status: status.code}),
    ...(status.reason === undefined ? {} : {reason: status.reason}),
    kubeStatus: status as Record<string, unknown>,
  });
}
