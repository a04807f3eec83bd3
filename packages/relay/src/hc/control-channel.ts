import {formatRelayCommand, HcCloseCode, parseListenerCommand} from '@porthole/core/protocol';
import type {AcceptCommand, RequestCommand, ResponseCommand} from '@porthole/core/protocol';
import type {WebSocket} from 'ws';

import type {RelayLogger} from '../options.js';
import {KeepAlive} from './keep-alive.js';
import type {Listener} from './listener-registry.js';

/** Where a listener's answer to one HTTP request goes. */
export interface ResponseSink {
  /** The response, and its body when `response.body` is true. */
  respond(response: ResponseCommand, body: Buffer | undefined): void;
  /** The listener went away before answering. */
  abandon(): void;
}

/** Checks a `renewToken` token; resolves with its expiry (Unix seconds) or a refusal. */
export type RenewalCheck = (token: string) => Promise<{expiresAt: number} | {description: string}>;

/** What a {@link ControlChannel} needs. */
export interface ControlChannelOptions {
  socket: WebSocket;
  entity: string;
  trackingId: string;
  /** The relay's WebSocket origin as this listener reached it, for rendezvous addresses. */
  origin: string;
  /** When the listen token expires, in Unix seconds. */
  expiresAt: number;
  renew: RenewalCheck;
  keepAliveIntervalMs: number;
  log: RelayLogger;
  now?: () => number;
}

/**
 * The relay's side of a classic listener's control channel (hybrid-connections.md §1.2, §1.5):
 * it sends `accept` and `request` commands, routes `response` commands (and the binary body
 * that follows one) to the waiting HTTP request, takes `renewToken`, pings, and closes with
 * 1008 when the token lapses.
 */
export class ControlChannel implements Listener {
  readonly draining = false;
  readonly trackingId: string;
  readonly entity: string;
  readonly origin: string;
  readonly #socket: WebSocket;
  readonly #pending = new Map<string, ResponseSink>();
  readonly #renew: RenewalCheck;
  readonly #log: RelayLogger;
  readonly #now: () => number;
  readonly #keepAlive: KeepAlive;
  #expiry: NodeJS.Timeout | undefined;
  /** A `response` with `body: true` whose binary message has not arrived yet. */
  #awaitingBody: {response: ResponseCommand; sink: ResponseSink} | undefined;
  /** Resolves once the channel has closed. */
  readonly closed: Promise<void>;

  constructor(options: ControlChannelOptions) {
    this.#socket = options.socket;
    this.entity = options.entity;
    this.trackingId = options.trackingId;
    this.origin = options.origin;
    this.#renew = options.renew;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#scheduleExpiry(options.expiresAt);
    this.#keepAlive = new KeepAlive(options.socket, options.keepAliveIntervalMs, () => {
      this.#log('listener.dead', {trackingId: this.trackingId, entity: this.entity});
    });
    this.#socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.#onMessage(data, isBinary);
    });
    this.closed = new Promise((resolve) => {
      this.#socket.once('close', () => {
        this.#shutDown();
        resolve();
      });
    });
  }

  /** How many HTTP requests wait for this listener's response. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** Tells the listener to meet a sender at `accept.address`. */
  sendAccept(accept: AcceptCommand): void {
    this.#socket.send(formatRelayCommand({accept}));
  }

  /**
   * Sends an HTTP request and routes the listener's response to `sink`. A body follows the
   * JSON at once, with nothing between them (§1.4: hyco-https takes the very next message).
   */
  sendRequest(request: RequestCommand, body: Buffer | undefined, sink: ResponseSink): void {
    this.#pending.set(request.id, sink);
    this.#socket.send(formatRelayCommand({request}));
    if (body !== undefined) this.#socket.send(body, {binary: true});
  }

  /** Stops routing a request's response (it timed out or its sender left). */
  forget(requestId: string): void {
    this.#pending.delete(requestId);
    if (this.#awaitingBody?.response.requestId === requestId) this.#awaitingBody = undefined;
  }

  /** Closes the control channel with a close code of §1.6. */
  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const awaiting = this.#awaitingBody;
    this.#awaitingBody = undefined;
    if (isBinary) {
      if (awaiting) {
        this.#pending.delete(awaiting.response.requestId);
        awaiting.sink.respond(awaiting.response, data);
      } else {
        this.#log('listener.unexpected-binary', {trackingId: this.trackingId, bytes: data.length});
      }
      return;
    }
    if (awaiting) {
      // The body never came: the request fails rather than take the wrong bytes.
      this.#pending.delete(awaiting.response.requestId);
      awaiting.sink.abandon();
    }
    let command;
    try {
      command = parseListenerCommand(data.toString('utf8'));
    } catch (err) {
      this.#log('listener.invalid-command', {
        trackingId: this.trackingId,
        error: (err as Error).message,
      });
      this.#socket.close(HcCloseCode.POLICY_VIOLATION, 'InvalidCommand');
      return;
    }
    switch (command.kind) {
      case 'response': {
        const sink = this.#pending.get(command.response.requestId);
        if (!sink) {
          this.#log('listener.unknown-response', {
            trackingId: this.trackingId,
            requestId: command.response.requestId,
          });
          if (command.response.body)
            this.#awaitingBody = {response: command.response, sink: IGNORED_SINK};
          return;
        }
        if (command.response.body) {
          this.#awaitingBody = {response: command.response, sink};
        } else {
          this.#pending.delete(command.response.requestId);
          sink.respond(command.response, undefined);
        }
        return;
      }
      case 'renewToken':
        void this.#renewToken(command.token);
        return;
      case 'unknown':
        // hybrid-connections.md §1.2: log and ignore unknown commands, as Azure's emulator does.
        this.#log('listener.unknown-command', {trackingId: this.trackingId, name: command.name});
        return;
      default: {
        const unexpected: never = command;
        throw new Error(`Unexpected command ${JSON.stringify(unexpected)}`);
      }
    }
  }

  async #renewToken(token: string): Promise<void> {
    const result = await this.#renew(token);
    if ('description' in result) {
      this.#log('listener.renewal-refused', {
        trackingId: this.trackingId,
        reason: result.description,
      });
      this.#socket.close(HcCloseCode.POLICY_VIOLATION, result.description.slice(0, 120));
      return;
    }
    this.#scheduleExpiry(result.expiresAt);
    this.#log('listener.renewed', {trackingId: this.trackingId, expiresAt: result.expiresAt});
  }

  #scheduleExpiry(expiresAt: number): void {
    clearTimeout(this.#expiry);
    // setTimeout takes at most 2^31-1 ms; a later expiry is re-armed when that fires.
    const delay = Math.min(Math.max(expiresAt * 1000 - this.#now(), 0), 2 ** 31 - 1);
    this.#expiry = setTimeout(() => {
      if (expiresAt * 1000 > this.#now()) {
        this.#scheduleExpiry(expiresAt);
        return;
      }
      this.#log('listener.token-expired', {trackingId: this.trackingId});
      this.#socket.close(HcCloseCode.POLICY_VIOLATION, 'ExpiredToken');
    }, delay);
    this.#expiry.unref();
  }

  #shutDown(): void {
    clearTimeout(this.#expiry);
    this.#keepAlive.stop();
    for (const sink of this.#pending.values()) sink.abandon();
    this.#pending.clear();
    this.#awaitingBody = undefined;
  }
}

const IGNORED_SINK: ResponseSink = {
  respond: () => undefined,
  abandon: () => undefined,
};

/** Narrows a listener to a classic control channel, for {@link ListenerRegistry.pick}. */
export function isControlChannel(listener: Listener): listener is ControlChannel {
  return listener instanceof ControlChannel;
}
