import {HybridConnectionError} from '../../errors.js';
import {
  HC_CONTROL_CHANNEL_BODY_LIMIT,
  HcCloseCode,
  SERVICE_BUS_AUTHORIZATION,
} from './constants.js';
import {formatListenerCommand, parseRelayCommand} from './control-messages.js';
import type {AcceptCommand, RemoteEndpoint, RequestCommand} from './control-messages.js';
import {parseSasToken} from './sas-token.js';
import {onMessages, WebSocketState, whenClosed, whenOpen, withReservedQuery} from './web-socket.js';
import type {Message, TokenPlacement, WebSocketFactory, WebSocketLike} from './web-socket.js';

/** What {@link HybridConnectionListener.open} needs. */
export interface ListenerOptions {
  /** `wss://{relay}/$hc/{hc}`; `sb-hc-action=listen` is added. */
  address: string;
  /** Mints a SAS token with the Listen right; called to open and again to renew before expiry. */
  token: () => string | Promise<string>;
  tokenPlacement?: TokenPlacement;
  webSocket: WebSocketFactory;
  /** A sender wants a WebSocket: accept or reject the offer. */
  onAccept?: (offer: AcceptOffer) => void;
  /** An HTTP request arrived (HTTP mode): answer it with `respond`. */
  onRequest?: (request: RelayedRequest) => void;
  /** Failures that concern no caller (a rendezvous that would not open, a renewal that failed). */
  onError?: (error: unknown) => void;
  /** How long handshakes may take. Default 30 s. */
  timeoutMs?: number;
}

/** A sender's connection request, from an `accept` command. */
export interface AcceptOffer {
  readonly id: string;
  /** The rendezvous address, with the sender's path suffix and query. */
  readonly address: string;
  readonly connectHeaders: Readonly<Record<string, string>>;
  readonly remoteEndpoint: RemoteEndpoint;
  /** The subprotocols the sender offered, in its order. */
  readonly protocols: readonly string[];
  /** Meets the sender; `protocol` must be one it offered. */
  accept(protocol?: string): Promise<WebSocketLike>;
  /** Turns the sender away: its handshake fails with `status` and `description`. */
  reject(status: number, description: string): Promise<void>;
}

/** The response to a {@link RelayedRequest}. */
export interface RelayedResponse {
  status: number;
  description?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

/** An HTTP request relayed to this listener (hybrid-connections.md §1.4). */
export interface RelayedRequest {
  readonly id: string;
  readonly method: string;
  /** The path, entity name included, and the query without `sb-hc-*` parameters. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly remoteEndpoint: RemoteEndpoint | undefined;
  respond(response: RelayedResponse): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * A Hybrid Connections listener (hybrid-connections.md §1.2–1.5): it holds the control
 * channel, meets senders at rendezvous addresses, answers HTTP requests, and renews its token
 * before it expires. It does not reconnect by itself; whoever owns it watches `closed`.
 *
 * @example
 *   const listener = await HybridConnectionListener.open({
 *     address: 'wss://relay.example/$hc/clusters/prod', token: mintListenToken, webSocket,
 *     onAccept: (offer) => void offer.accept().then(serve),
 *   });
 */
export class HybridConnectionListener {
  readonly #options: ListenerOptions;
  readonly #control: WebSocketLike;
  #renewal: ReturnType<typeof setTimeout> | undefined;
  /** Settles when the control channel closes, with the relay's code and reason. */
  readonly closed: Promise<{code: number; reason: string}>;

  private constructor(options: ListenerOptions, control: WebSocketLike) {
    this.#options = options;
    this.#control = control;
    this.closed = whenClosed(control).then((result) => {
      clearTimeout(this.#renewal);
      return result;
    });
    new RequestChannel(control, this.#options, (command) => this.#onAccept(command));
  }

  /**
   * Opens the control channel.
   *
   * @throws HybridConnectionError `ERR_HC_HANDSHAKE_FAILED` with the relay's status
   */
  static async open(options: ListenerOptions): Promise<HybridConnectionListener> {
    const token = await options.token();
    const placement = options.tokenPlacement ?? 'header';
    const query: Record<string, string> = {'sb-hc-action': 'listen'};
    if (placement === 'query') query['sb-hc-token'] = token;
    const socket = options.webSocket(withReservedQuery(options.address, query), {
      protocols: [],
      headers: placement === 'header' ? {[SERVICE_BUS_AUTHORIZATION]: token} : {},
    });
    // Readers attach before the socket opens: a command may arrive in the packet of the 101.
    const listener = new HybridConnectionListener(options, socket);
    await whenOpen(socket, 'Hybrid Connections listen', options.timeoutMs ?? 30_000);
    listener.#scheduleRenewal(token);
    return listener;
  }

  /**
   * Renews the token now (§1.5 `renewToken`) instead of on schedule: after the key it is
   * minted with was rotated, say, so that the relay holds the channel to the new key's expiry.
   * A failure goes to `onError`; the channel stays as it was.
   */
  async renewToken(): Promise<void> {
    clearTimeout(this.#renewal);
    await this.#renew();
  }

  /** Closes the control channel; rendezvous sockets already handed out stay open. */
  close(): void {
    clearTimeout(this.#renewal);
    if (this.#control.readyState === WebSocketState.OPEN)
      this.#control.close(HcCloseCode.NORMAL, 'Closing');
  }

  #onAccept(command: AcceptCommand): void {
    const {onAccept} = this.#options;
    if (!onAccept) return;
    const timeoutMs = this.#options.timeoutMs ?? 30_000;
    const webSocket = this.#options.webSocket;
    const protocolHeader = Object.entries(command.connectHeaders).find(
      ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
    )?.[1];
    onAccept({
      id: command.id,
      address: command.address,
      connectHeaders: command.connectHeaders,
      remoteEndpoint: command.remoteEndpoint,
      protocols:
        protocolHeader === undefined
          ? []
          : protocolHeader.split(',').map((protocol) => protocol.trim()),
      accept: (protocol) =>
        whenOpen(
          webSocket(command.address, {
            protocols: protocol === undefined ? [] : [protocol],
            headers: {},
          }),
          'Hybrid Connections accept',
          timeoutMs,
        ),
      reject: async (status, description) => {
        const address = `${command.address}&sb-hc-statusCode=${status}&sb-hc-statusDescription=${encodeURIComponent(description)}`;
        try {
          await whenOpen(
            webSocket(address, {protocols: [], headers: {}}),
            'Hybrid Connections reject',
            timeoutMs,
          );
        } catch (err) {
          // §1.1: the relay answers a rejecting listener 410 Gone; that is the success case.
          if ((err as HybridConnectionError).status === 410) return;
          throw err;
        }
      },
    });
  }

  /** §1.5: renew a minute before the token expires, or after 80 % of a shorter lifetime. */
  #scheduleRenewal(token: string): void {
    let expiresAt: number;
    try {
      expiresAt = parseSasToken(token).expiresAt * 1000;
    } catch {
      return; // Not a SAS token we can read: the relay will say when it lapses.
    }
    const remaining = expiresAt - Date.now();
    const delay = Math.max(remaining * 0.8, remaining - 60_000, 0);
    this.#renewal = setTimeout(
      () => {
        void this.#renew();
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  async #renew(): Promise<void> {
    try {
      const token = await this.#options.token();
      if (this.#control.readyState !== WebSocketState.OPEN) return;
      this.#control.send(formatListenerCommand({renewToken: {token}}));
      this.#scheduleRenewal(token);
    } catch (err) {
      this.#options.onError?.(err);
    }
  }
}

/**
 * Reads HTTP requests from a socket — the control channel, or a request rendezvous, which may
 * carry later requests of the same sender connection too (§1.4) — and answers each on the
 * socket it came from, or on a rendezvous when the response is too large for the control
 * channel.
 */
class RequestChannel {
  readonly #socket: WebSocketLike;
  readonly #options: ListenerOptions;
  readonly #isControl: boolean;
  #awaitingBody: RequestCommand | undefined;

  constructor(
    socket: WebSocketLike,
    options: ListenerOptions,
    onAccept?: (command: AcceptCommand) => void,
  ) {
    this.#socket = socket;
    this.#options = options;
    this.#isControl = onAccept !== undefined;
    onMessages(socket, (message) => {
      this.#onMessage(message, onAccept);
    });
  }

  #onMessage(message: Message, onAccept: ((command: AcceptCommand) => void) | undefined): void {
    const awaiting = this.#awaitingBody;
    this.#awaitingBody = undefined;
    if (awaiting) {
      this.#dispatch(awaiting, typeof message === 'string' ? encoder.encode(message) : message);
      return;
    }
    if (typeof message !== 'string') return; // A body without a request: nothing to attach it to.
    let command;
    try {
      command = parseRelayCommand(message);
    } catch (err) {
      this.#options.onError?.(err);
      return;
    }
    switch (command.kind) {
      case 'accept':
        onAccept?.(command.accept);
        return;
      case 'request': {
        const request = command.request;
        if (request.method === undefined) {
          // §1.4: only an address: the request itself waits at the rendezvous.
          void this.#openRendezvous(request.address);
        } else if (request.body === true) {
          this.#awaitingBody = request;
        } else {
          this.#dispatch(request, new Uint8Array(0));
        }
        return;
      }
      case 'unknown':
        return;
      default: {
        const unexpected: never = command;
        throw new Error(`Unexpected command ${JSON.stringify(unexpected)}`);
      }
    }
  }

  #dispatch(request: RequestCommand, body: Uint8Array): void {
    const handler = this.#options.onRequest;
    const respond = (response: RelayedResponse) => this.#respond(request, response);
    if (!handler) {
      void respond({status: 501, description: 'This listener does not serve HTTP'});
      return;
    }
    handler({
      id: request.id,
      method: request.method ?? 'GET',
      target: request.requestTarget ?? '/',
      headers: request.requestHeaders ?? {},
      body,
      remoteEndpoint: request.remoteEndpoint,
      respond,
    });
  }

  async #respond(request: RequestCommand, response: RelayedResponse): Promise<void> {
    const body = typeof response.body === 'string' ? encoder.encode(response.body) : response.body;
    const command = formatListenerCommand({
      response: {
        requestId: request.id,
        statusCode: response.status,
        ...(response.description === undefined ? {} : {statusDescription: response.description}),
        ...(response.headers === undefined ? {} : {responseHeaders: response.headers}),
        body: body !== undefined && body.length > 0,
      },
    });
    let socket = this.#socket;
    // §1.4: a response over 64 KB must not take the control channel.
    if (this.#isControl && body !== undefined && body.length > HC_CONTROL_CHANNEL_BODY_LIMIT) {
      const rendezvous = await this.#openRendezvous(request.address);
      if (!rendezvous) return;
      socket = rendezvous;
    }
    if (socket.readyState !== WebSocketState.OPEN) {
      throw new HybridConnectionError(
        'ERR_HC_CONNECTION_CLOSED',
        `The channel of request ${request.id} closed before the response`,
      );
    }
    // §1.4: the body follows its JSON at once (hyco-https takes the very next message).
    socket.send(command);
    if (body !== undefined && body.length > 0) socket.send(body);
  }

  /**
   * Opens a request rendezvous and reads requests from it. The reader is attached before the
   * socket opens: the relay sends the request the moment the handshake completes, in the same
   * packet as the 101.
   */
  async #openRendezvous(address: string): Promise<WebSocketLike | undefined> {
    try {
      const socket = this.#options.webSocket(address, {protocols: [], headers: {}});
      new RequestChannel(socket, this.#options);
      return await whenOpen(
        socket,
        'Hybrid Connections request rendezvous',
        this.#options.timeoutMs ?? 30_000,
      );
    } catch (err) {
      this.#options.onError?.(err);
      return undefined;
    }
  }
}
