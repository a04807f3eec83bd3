import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Socket} from 'node:net';
import type {Duplex} from 'node:stream';

import {
  formatRelayCommand,
  formatRendezvousAddress,
  HC_CONTROL_CHANNEL_BODY_LIMIT,
  HcAction,
  parseListenerCommand,
  SERVICE_BUS_AUTHORIZATION,
} from '@porthole/core/protocol';
import type {HcTarget, RequestCommand, ResponseCommand} from '@porthole/core/protocol';
import type {WebSocket} from 'ws';

import {rejectHandshake, statusLineReason} from '../http/handshake.js';
import type {RelayLimits, RelayLogger} from '../options.js';
import type {ControlChannel, ResponseSink} from './control-channel.js';
import type {Upgrader} from './upgrader.js';

/** Where an HTTP request goes. */
export interface HttpRoute {
  /** The tracking id, also the request id. */
  id: string;
  entity: string;
  listener: ControlChannel;
  /** The relay host as the sender named it, for `Via`. */
  host: string;
  /** The request path without `sb-hc-*` parameters, entity name included (§1.4 requestTarget). */
  requestTarget: string;
  /** The path after the relay's root and the sender's query, for the rendezvous address. */
  rawPath: string;
  appQuery: string;
  /** Whether the token came in `Authorization`, which is then stripped too (§1.1). */
  tokenInAuthorization: boolean;
}

/** A request whose listener may open its rendezvous address. */
interface PendingRequest {
  request: IncomingMessage;
  command: RequestCommand;
  /** Whether the request itself still has to travel over the rendezvous. */
  deliverOverRendezvous: boolean;
  sink: ResponseSink;
}

/** §1.4: headers the relay never forwards, in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'content-length',
  'host',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'close',
  'keep-alive',
  'proxy-connection',
]);

/**
 * The HTTP request/response mode of Hybrid Connections (hybrid-connections.md §1.4). Small
 * requests travel over the listener's control channel; a body over 64 KB or without a
 * Content-Length travels over a rendezvous the listener opens, and so does a response over
 * 64 KB. Later requests on the same sender connection reuse that rendezvous; when the
 * listener closes it, the sender's connection is dropped.
 */
export class HttpRelay {
  readonly #pending = new Map<string, PendingRequest>();
  readonly #rendezvous = new WeakMap<Socket, RendezvousChannel>();
  readonly #upgrader: Upgrader;
  readonly #limits: RelayLimits;
  readonly #log: RelayLogger;

  constructor(options: {upgrader: Upgrader; limits: RelayLimits; log: RelayLogger}) {
    this.#upgrader = options.upgrader;
    this.#limits = options.limits;
    this.#log = options.log;
  }

  /** Requests whose listener has yet to open their rendezvous. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Relays one request to the route's listener and its response back. */
  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    route: HttpRoute,
  ): Promise<void> {
    const {id, listener, limits} = {...route, limits: this.#limits};
    if (listener.pendingRequests >= limits.maxPendingRequestsPerListener) {
      relayError(
        response,
        503,
        `ServerBusy: ${listener.pendingRequests} requests already wait for this listener`,
        id,
      );
      return;
    }
    const length =
      request.headers['content-length'] === undefined
        ? undefined
        : Number(request.headers['content-length']);
    if (length !== undefined && length > limits.maxHttpBodyBytes) {
      relayError(
        response,
        413,
        `PayloadTooLarge: ${length} bytes is over the ${limits.maxHttpBodyBytes}-byte limit`,
        id,
      );
      return;
    }
    const hasBody =
      (length !== undefined && length > 0) || request.headers['transfer-encoding'] !== undefined;
    const command: RequestCommand = {
      address: formatRendezvousAddress({
        origin: listener.origin,
        rawPath: route.rawPath,
        appQuery: route.appQuery,
        action: HcAction.REQUEST,
        id,
      }),
      id,
      requestTarget: route.requestTarget,
      method: request.method ?? 'GET',
      requestHeaders: forwardedHeaders(request.rawHeaders, route),
      body: hasBody,
      remoteEndpoint: {
        address: request.socket.remoteAddress ?? '',
        port: request.socket.remotePort ?? 0,
      },
    };

    const settled = {done: false};
    const timer = setTimeout(
      () =>
        finish(() =>
          relayError(response, 504, 'GatewayTimeout: the listener did not respond in time', id),
        ),
      limits.responseTimeoutMs,
    );
    const finish = (act: () => void) => {
      if (settled.done) return;
      settled.done = true;
      clearTimeout(timer);
      this.#pending.delete(id);
      listener.forget(id);
      act();
    };
    const sink: ResponseSink = {
      respond: (answer, body) => {
        finish(() => {
          writeResponse(response, answer, body, route.host, limits.maxHttpBodyBytes, id);
        });
      },
      abandon: () => {
        finish(() => {
          relayError(response, 502, 'BadGateway: the listener went away before responding', id);
        });
      },
    };
    response.once('close', () => {
      if (!settled.done) finish(() => undefined);
    });

    const reused = this.#rendezvous.get(request.socket);
    if (reused?.idle) {
      reused.send(command, request, sink, limits.maxHttpBodyBytes);
      return;
    }
    const overRendezvous =
      hasBody && (length === undefined || length > HC_CONTROL_CHANNEL_BODY_LIMIT);
    this.#pending.set(id, {request, command, deliverOverRendezvous: overRendezvous, sink});
    if (overRendezvous) {
      // §1.4: the control channel carries only the address; hyco-https checks `method` and
      // .NET checks `body` to tell, so both are left out.
      listener.sendRequest({address: command.address, id}, undefined, sink);
      return;
    }
    let body: Buffer | undefined;
    try {
      body = hasBody ? await readBody(request) : undefined;
    } catch {
      finish(() => undefined); // The sender went away mid-body; there is no one to answer.
      return;
    }
    if (settled.done) return;
    listener.sendRequest(command, body, sink);
  }

  /** A listener opened a request's rendezvous address, to receive the request or to respond. */
  rendezvous(request: IncomingMessage, socket: Duplex, head: Buffer, target: HcTarget): void {
    const id = target.id ?? '';
    const pending = this.#pending.get(id);
    if (!pending) {
      rejectHandshake(
        socket,
        404,
        'RendezvousNotFound: the request is unknown or already answered',
        id,
      );
      return;
    }
    this.#pending.delete(id);
    this.#log('http.rendezvous', {
      trackingId: id,
      requestOverRendezvous: pending.deliverOverRendezvous,
    });
    this.#upgrader.upgrade(request, socket, head, undefined, (webSocket) => {
      const channel = new RendezvousChannel(webSocket, this.#log);
      const sender = pending.request.socket;
      this.#rendezvous.set(sender, channel);
      webSocket.once('close', () => {
        // §1.4: when the listener closes the rendezvous, the relay drops the sender's connection.
        if (this.#rendezvous.get(sender) === channel) sender.destroy();
      });
      if (pending.deliverOverRendezvous)
        channel.send(pending.command, pending.request, pending.sink, this.#limits.maxHttpBodyBytes);
      else channel.expect(id, pending.sink);
    });
  }
}

/** A request rendezvous: one request at a time, its response, then possibly the next. */
class RendezvousChannel {
  readonly #socket: WebSocket;
  readonly #log: RelayLogger;
  #current: {id: string; sink: ResponseSink} | undefined;
  #awaitingBody: ResponseCommand | undefined;

  constructor(socket: WebSocket, log: RelayLogger) {
    this.#socket = socket;
    this.#log = log;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.#onMessage(data, isBinary);
    });
    socket.once('close', () => {
      const current = this.#current;
      this.#current = undefined;
      current?.sink.abandon();
    });
  }

  get idle(): boolean {
    return this.#current === undefined && this.#socket.readyState === this.#socket.OPEN;
  }

  expect(id: string, sink: ResponseSink): void {
    this.#current = {id, sink};
  }

  /** Sends the request JSON, then its body as one binary message streamed in fragments. */
  send(
    command: RequestCommand,
    request: IncomingMessage,
    sink: ResponseSink,
    maxBodyBytes: number,
  ): void {
    this.expect(command.id, sink);
    this.#socket.send(formatRelayCommand({request: command}));
    if (!command.body) return;
    let sent = 0;
    request.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > maxBodyBytes) {
        request.destroy();
        this.#socket.close(1009, 'BodyTooLarge');
        return;
      }
      this.#socket.send(chunk, {binary: true, fin: false});
    });
    request.once('end', () => {
      this.#socket.send(Buffer.alloc(0), {binary: true, fin: true});
    });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const current = this.#current;
    if (!current) {
      this.#log('rendezvous.unexpected-message', {bytes: data.length});
      return;
    }
    if (this.#awaitingBody) {
      const response = this.#awaitingBody;
      this.#awaitingBody = undefined;
      this.#current = undefined;
      if (isBinary) current.sink.respond(response, data);
      else current.sink.abandon();
      return;
    }
    let command;
    try {
      command = isBinary ? undefined : parseListenerCommand(data.toString('utf8'));
    } catch {
      command = undefined;
    }
    if (command?.kind !== 'response' || command.response.requestId !== current.id) {
      this.#current = undefined;
      current.sink.abandon();
      this.#socket.close(1008, 'InvalidCommand');
      return;
    }
    if (command.response.body) {
      this.#awaitingBody = command.response;
      return;
    }
    this.#current = undefined;
    current.sink.respond(command.response, undefined);
  }
}

/**
 * The sender's headers as the listener gets them: original spelling, hop-by-hop headers,
 * Host and the credential removed, and `Via` added (§1.4).
 */
function forwardedHeaders(rawHeaders: readonly string[], route: HttpRoute): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === SERVICE_BUS_AUTHORIZATION.toLowerCase()) continue;
    if (lower === 'authorization' && route.tokenInAuthorization) continue;
    const value = rawHeaders[i + 1] ?? '';
    headers[name] = name in headers ? `${headers[name] ?? ''}, ${value}` : value;
  }
  headers.Via = headers.Via ? `${headers.Via}, 1.1 ${route.host}` : `1.1 ${route.host}`;
  return headers;
}

/** Writes the listener's response: its status and description, its headers less hop-by-hop ones, and `Via`. */
function writeResponse(
  response: ServerResponse,
  answer: ResponseCommand,
  body: Buffer | undefined,
  host: string,
  maxBodyBytes: number,
  id: string,
): void {
  if (body !== undefined && body.length > maxBodyBytes) {
    relayError(
      response,
      502,
      `BadGateway: the response body is over the ${maxBodyBytes}-byte limit`,
      id,
    );
    return;
  }
  response.statusCode = answer.statusCode;
  const description = statusLineReason(answer.statusDescription ?? '');
  if (description !== '') response.statusMessage = description;
  let via = `1.1 ${host}`;
  for (const [name, value] of Object.entries(answer.responseHeaders ?? {})) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'via') {
      via = `${value}, ${via}`;
      continue;
    }
    try {
      response.setHeader(name, value);
    } catch {
      // A header Node refuses (invalid characters) is dropped rather than fail the response.
    }
  }
  response.setHeader('Via', via);
  response.end(body);
}

/** An error the relay itself answers with: no `Via`, so callers can tell it from the listener's. */
function relayError(
  response: ServerResponse,
  status: number,
  description: string,
  id: string,
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = `${description} TrackingId:${id}\n`;
  response.writeHead(status, statusLineReason(description), {
    'Content-Type': 'text/plain; charset=utf-8',
    TrackingId: id,
  });
  response.end(text);
}

/** Reads a body whose Content-Length Node has already checked against the control-channel limit. */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
