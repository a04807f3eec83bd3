import {KubeError} from '../../errors.js';
import type {Resolvers} from '../../lib/settled-promise.js';
import {withResolvers} from '../../lib/settled-promise.js';
import type {HttpLimits} from '../constants.js';
import {KUBE_DEFAULTS} from '../constants.js';
import {ReceiverSlot} from '../transport.js';
import type {KubeTransport, TransportReceiver} from '../transport.js';
import {encodeRequest} from './request-encoder.js';
import type {HttpRequest} from './request-encoder.js';
import {ResponseParser} from './response-parser.js';
import type {ResponseHead} from './response-parser.js';

/** A response whose head has arrived; its body streams. */
export interface HttpResponse extends ResponseHead {
  /**
   * The body, without framing, as it arrives. Reading is backpressure: while the reader lags
   * more than `bodyHighWaterMark` bytes, the transport is paused (where it can be). Cancelling
   * it ends the connection, which is how a watch or a followed log is stopped.
   */
  readonly body: ReadableStream<Uint8Array>;
  /** A chunked body's trailer fields, once the body has ended. */
  readonly trailers: Promise<Headers>;
  /** After `101 Switching Protocols`: the stream, which now speaks the new protocol. */
  readonly upgraded: KubeTransport | undefined;
}

/** Options of an {@link HttpConnection}; every limit defaults to `KUBE_DEFAULTS`. */
export interface HttpConnectionOptions extends Partial<HttpLimits> {
  /** The `Host` header of every request. Default `kubernetes` (the agent does not forward it). */
  host?: string;
  /** Called each time an exchange ends and the connection can carry another request. */
  onIdle?: () => void;
}

/** Per-request options. */
export interface HttpRequestOptions {
  /** Aborting ends the connection: before the head the request rejects, after it the body errors, with `ERR_KUBE_ABORTED`. */
  signal?: AbortSignal;
  /** Ask to switch protocols (RFC 9110 §7.8): sends `Connection: Upgrade`; a 101 answer sets `upgraded`. */
  upgrade?: boolean;
}

/** Where a connection is in its life. */
export const ConnectionState = {
  /** Ready for a request. */
  IDLE: 'idle',
  /** A request was sent and its response has not ended. */
  BUSY: 'busy',
  /** A 101 handed the stream to another protocol. */
  UPGRADED: 'upgraded',
  /** The stream has ended, or the connection failed. */
  CLOSED: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

interface Exchange {
  readonly head: Resolvers<HttpResponse>;
  readonly trailers: Resolvers<Headers>;
  body: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Lets the next queued request go. */
  readonly release: () => void;
  readonly detach: () => void;
}

/**
 * One HTTP/1.1 connection over a byte stream (RFC 9112): requests go one after another
 * (keep-alive, RFC 9112 §9.3); a request made while another's response is still streaming
 * waits for it to end. A response that says `Connection: close`, or whose body ends with the
 * stream, ends the connection; so does cancelling a body, or an error.
 *
 * @example
 *   const connection = new HttpConnection(transport);
 *   const response = await connection.request({method: 'GET', target: '/version'});
 *   const text = await new Response(response.body).text();
 */
export class HttpConnection {
  /** Settles when the stream has ended; never rejects. */
  readonly closed: Promise<void>;
  readonly #transport: KubeTransport;
  readonly #host: string;
  readonly #highWaterMark: number;
  readonly #onIdle: (() => void) | undefined;
  readonly #parser: ResponseParser;
  readonly #closed = withResolvers<undefined>();
  #state: ConnectionState = ConnectionState.IDLE;
  #exchange: Exchange | undefined;
  #upgraded: ReceiverSlot | undefined;
  #paused = false;
  #turn: Promise<void> = Promise.resolve();
  #requests = 0;
  #error: KubeError | undefined;

  /**
   * @param transport the stream; the connection becomes its receiver
   * @param options limits, `host`, and `onIdle`
   */
  constructor(transport: KubeTransport, options: HttpConnectionOptions = {}) {
    this.#transport = transport;
    this.#host = options.host ?? 'kubernetes';
    this.#highWaterMark = options.bodyHighWaterMark ?? KUBE_DEFAULTS.bodyHighWaterMark;
    this.#onIdle = options.onIdle;
    this.closed = this.#closed.promise;
    this.#parser = new ResponseParser(
      {
        onHead: (head) => {
          this.#onHead(head);
        },
        onUpgrade: (head, rest) => {
          this.#onUpgrade(head, rest);
        },
        onBody: (chunk) => {
          this.#onBody(chunk);
        },
        onComplete: (trailers, keepAlive) => {
          this.#onComplete(trailers, keepAlive);
        },
        onError: (error) => {
          this.#fail(error);
        },
      },
      options,
    );
    const receiver: TransportReceiver = {
      onData: (bytes) => {
        if (this.#upgraded !== undefined) this.#upgraded.data(bytes);
        else if (this.#state !== ConnectionState.CLOSED) this.#parser.push(bytes);
      },
      onClose: (error) => {
        this.#onTransportClosed(error);
      },
    };
    transport.listen(receiver);
  }

  /** Where the connection is in its life. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Requests sent on this connection so far. */
  get requests(): number {
    return this.#requests;
  }

  /**
   * Sends a request once the previous response has ended, and resolves with the response as
   * soon as its head has arrived (interim 1xx responses are skipped).
   *
   * @throws KubeError `ERR_KUBE_REQUEST_INVALID` (nothing is sent), `ERR_KUBE_CONNECTION_CLOSED`
   *   when the connection ends first, `ERR_KUBE_HTTP_PROTOCOL` and the limit codes for a bad
   *   response, `ERR_KUBE_ABORTED`
   * @example
   *   const response = await connection.request({method: 'GET', target: '/api/v1/namespaces'});
   */
  async request(request: HttpRequest, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    const upgrade = options.upgrade === true;
    const bytes = encodeRequest(request, {
      host: this.#host,
      ...(upgrade ? {connection: 'Upgrade'} : {}),
    });
    const previous = this.#turn;
    const turn = withResolvers<undefined>();
    this.#turn = turn.promise;
    await previous;
    const {signal} = options;
    if (this.#state !== ConnectionState.IDLE) {
      turn.resolve(undefined);
      throw this.#closedError();
    }
    if (signal?.aborted === true) {
      turn.resolve(undefined);
      throw abortError(signal);
    }
    const onAbort = () => {
      this.#fail(abortError(signal));
    };
    const exchange: Exchange = {
      head: withResolvers<HttpResponse>(),
      trailers: withResolvers<Headers>({handled: true}),
      body: undefined,
      release: () => {
        turn.resolve(undefined);
      },
      detach: () => signal?.removeEventListener('abort', onAbort),
    };
    signal?.addEventListener('abort', onAbort);
    this.#exchange = exchange;
    this.#state = ConnectionState.BUSY;
    this.#requests++;
    this.#parser.expect(request.method, {upgrade});
    this.#transport.send(bytes);
    return exchange.head.promise;
  }

  /** Ends the connection; a response in progress fails with `ERR_KUBE_CONNECTION_CLOSED`. */
  close(): void {
    this.#fail(new KubeError('ERR_KUBE_CONNECTION_CLOSED', 'Connection closed by the client'));
  }

  #onHead(head: ResponseHead): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          exchange.body = controller;
        },
        pull: () => {
          if (this.#paused) {
            this.#paused = false;
            this.#transport.resume?.();
          }
        },
        cancel: () => {
          // RFC 9112 §9.6: the only way to stop a response is to end the connection.
          if (this.#exchange === exchange) {
            exchange.body = undefined;
            this.#fail(
              new KubeError('ERR_KUBE_CONNECTION_CLOSED', 'Response body cancelled by the reader'),
            );
          }
        },
      },
      {highWaterMark: this.#highWaterMark, size: (chunk) => chunk.byteLength},
    );
    exchange.head.resolve({
      ...head,
      body,
      trailers: exchange.trailers.promise,
      upgraded: undefined,
    });
  }

  #onUpgrade(head: ResponseHead, rest: Uint8Array): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    this.#exchange = undefined;
    this.#state = ConnectionState.UPGRADED;
    exchange.detach();
    const slot = new ReceiverSlot();
    this.#upgraded = slot;
    if (rest.length > 0) slot.data(rest);
    const transport = this.#transport;
    const upgraded: KubeTransport = {
      send: (bytes) => {
        transport.send(bytes);
      },
      close: () => {
        transport.close();
      },
      listen: (receiver) => {
        slot.listen(receiver);
      },
      get bufferedAmount() {
        return transport.bufferedAmount;
      },
      ...(transport.pause === undefined ? {} : {pause: () => transport.pause?.()}),
      ...(transport.resume === undefined ? {} : {resume: () => transport.resume?.()}),
    };
    exchange.head.resolve({
      ...head,
      body: new ReadableStream<Uint8Array>({start: (controller) => controller.close()}),
      trailers: Promise.resolve(new Headers()),
      upgraded,
    });
    exchange.trailers.resolve(new Headers());
    exchange.release();
  }

  #onBody(chunk: Uint8Array): void {
    const controller = this.#exchange?.body;
    if (controller === undefined || chunk.length === 0) return;
    controller.enqueue(chunk);
    if (
      !this.#paused &&
      (controller.desiredSize ?? 1) <= 0 &&
      this.#transport.pause !== undefined
    ) {
      this.#paused = true;
      this.#transport.pause();
    }
  }

  #onComplete(trailers: Headers, keepAlive: boolean): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    this.#exchange = undefined;
    exchange.detach();
    exchange.body?.close();
    exchange.trailers.resolve(trailers);
    if (this.#paused) {
      this.#paused = false;
      this.#transport.resume?.();
    }
    if (!keepAlive) {
      this.#end(undefined);
      exchange.release();
      return;
    }
    this.#state = ConnectionState.IDLE;
    exchange.release();
    this.#onIdle?.();
  }

  #onTransportClosed(error: Error | undefined): void {
    if (this.#upgraded !== undefined) {
      this.#upgraded.end(error);
      this.#end(undefined);
      return;
    }
    // The parser completes a body that ends with the stream, or reports where it was cut.
    this.#parser.end(error);
    const cause = error === undefined ? {} : {cause: error};
    this.#end(new KubeError('ERR_KUBE_CONNECTION_CLOSED', 'Connection closed by the peer', cause));
  }

  /** Fails the exchange in progress, if any, and ends the connection. */
  #fail(error: KubeError): void {
    this.#failExchange(error);
    this.#end(error);
  }

  #failExchange(error: KubeError): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    this.#exchange = undefined;
    exchange.detach();
    exchange.head.reject(error);
    exchange.body?.error(error);
    exchange.trailers.reject(error);
    exchange.release();
  }

  /** The one transition to CLOSED. */
  #end(error: KubeError | undefined): void {
    if (this.#state === ConnectionState.CLOSED) return;
    this.#state = ConnectionState.CLOSED;
    this.#error = error;
    this.#failExchange(this.#closedError());
    this.#transport.close();
    this.#closed.resolve(undefined);
  }

  #closedError(): KubeError {
    if (this.#state === ConnectionState.UPGRADED)
      return new KubeError(
        'ERR_KUBE_CONNECTION_CLOSED',
        'Connection was upgraded to another protocol',
      );
    return new KubeError('ERR_KUBE_CONNECTION_CLOSED', 'Connection is closed', {
      ...(this.#error === undefined ? {} : {cause: this.#error}),
    });
  }
}

function abortError(signal: AbortSignal | undefined): KubeError {
  return new KubeError('ERR_KUBE_ABORTED', 'Request aborted', {cause: signal?.reason});
}
