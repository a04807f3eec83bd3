import {KubeError} from '../errors.js';
import {utf8Decode} from '../lib/utf8.js';
import type {KubeLimits} from './constants.js';
import {KUBE_DEFAULTS} from './constants.js';
import {ExecSession} from './exec/exec-session.js';
import {ConnectionState, HttpConnection} from './http/http-connection.js';
import type {HttpResponse} from './http/http-connection.js';
import {readBody} from './http/read-body.js';
import {resourcePath, withQuery} from './resource.js';
import type {QueryValue, ResourceRef} from './resource.js';
import {statusError} from './status.js';
import type {KubeTransport} from './transport.js';
import {KubeWatch, watchEventStream} from './watch.js';
import type {KubeObject} from './watch.js';

/** What a {@link KubeClient} needs; every limit defaults to `KUBE_DEFAULTS`. */
export interface KubeClientOptions extends Partial<KubeLimits> {
  /**
   * Opens a new stream to the agent (or any HTTP/1.1 endpoint of the apiserver's API), e.g.
   * `() => hybridConnectionTransport({...})`. Called whenever no idle connection is free.
   */
  connect: () => Promise<KubeTransport>;
  /**
   * The bearer token of each request (`Authorization: Bearer …`): an Entra access token for
   * the cluster, or a service-account token. Called per request, so that it may refresh.
   */
  token?: () => Promise<string>;
  /** The `Host` header. Default `kubernetes`. */
  host?: string;
}

/** A request to the API. */
export interface KubeRequest {
  /** Default `GET`. */
  method?: string;
  /** The path, e.g. from `resourcePath()`; may carry a query already. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON, unless bytes or a string (sent as they are). */
  body?: unknown;
  /** The body's media type. Default `application/json`; a patch names its kind, e.g. `application/merge-patch+json`. */
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A list (meta/v1 `List`), loosely typed. */
export interface KubeList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: {resourceVersion?: string; continue?: string; remainingItemCount?: number};
  items: T[];
}

/** Options of {@link KubeClient.list}. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

/** Options of {@link KubeClient.watch}. */
export interface WatchOptions {
  /** Where to start: the list's `metadata.resourceVersion`. The caller keeps it up to date. */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long (and `next()` is then done). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** Options of {@link KubeClient.logs}. */
export interface LogOptions {
  namespace: string;
  container?: string;
  /** Keep the stream open for lines written later (`logs -f`). */
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  previous?: boolean;
  limitBytes?: number;
  signal?: AbortSignal;
}

/** Options of {@link KubeClient.exec}. */
export interface ExecOptions {
  namespace: string;
  /** The command and its arguments, not a shell line. */
  command: readonly string[];
  container?: string;
  /** Send standard input (then `stdin` of the session may be written). */
  stdin?: boolean;
  /** Allocate a terminal: stderr merges into stdout, and `resize()` applies. */
  tty?: boolean;
  signal?: AbortSignal;
}

/** Options of {@link KubeClient.attach}. */
export type AttachOptions = Omit<ExecOptions, 'command'>;

const POD = {apiVersion: 'v1', resource: 'pods'} as const;
/** Safe methods (RFC 9110 §9.2.1): retried once when a kept-alive connection turns out closed. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * A Kubernetes API client over any byte stream that reaches an HTTP/1.1 endpoint of the API —
 * in a browser, a Hybrid Connections sender socket through the relay to the cluster's agent.
 * It keeps up to `maxIdleConnections` connections alive between requests, and opens one per
 * concurrent request, watch, log stream or exec session.
 *
 * Errors carry codes: a Kubernetes `Status` is `ERR_KUBE_STATUS` with `status`, `reason`
 * and the `Status` message as the error's message (a 403 names the missing permission).
 *
 * @example
 *   const client = new KubeClient({
 *     connect: () => hybridConnectionTransport({address, token: sasToken, tokenPlacement: 'query', webSocket}),
 *     token: () => getAccessToken(),
 *   });
 *   const pods = await client.list({apiVersion: 'v1', resource: 'pods', namespace: 'default'});
 */
export class KubeClient {
  readonly #connect: () => Promise<KubeTransport>;
  readonly #token: (() => Promise<string>) | undefined;
  readonly #host: string | undefined;
  readonly #limits: KubeLimits;
  readonly #idle: HttpConnection[] = [];
  readonly #connections = new Set<HttpConnection>();
  #closed = false;

  /** @param options `connect`, `token`, `host` and limits */
  constructor(options: KubeClientOptions) {
    this.#connect = options.connect;
    this.#token = options.token;
    this.#host = options.host;
    this.#limits = {
      maxHeaderBytes: options.maxHeaderBytes ?? KUBE_DEFAULTS.maxHeaderBytes,
      maxHeaderCount: options.maxHeaderCount ?? KUBE_DEFAULTS.maxHeaderCount,
      maxChunkExtensionBytes:
        options.maxChunkExtensionBytes ?? KUBE_DEFAULTS.maxChunkExtensionBytes,
      bodyHighWaterMark: options.bodyHighWaterMark ?? KUBE_DEFAULTS.bodyHighWaterMark,
      maxBodyBytes: options.maxBodyBytes ?? KUBE_DEFAULTS.maxBodyBytes,
      maxIdleConnections: options.maxIdleConnections ?? KUBE_DEFAULTS.maxIdleConnections,
      maxMessageSize: options.maxMessageSize ?? KUBE_DEFAULTS.maxMessageSize,
      closeTimeoutMs: options.closeTimeoutMs ?? KUBE_DEFAULTS.closeTimeoutMs,
    };
  }

  /** Connections open now, idle or busy (including exec sessions). */
  get connections(): number {
    return this.#connections.size;
  }

  /**
   * Sends a request and parses the JSON answer (`undefined` for an empty body).
   *
   * @throws KubeError `ERR_KUBE_STATUS` for a status other than 2xx; `ERR_KUBE_RESPONSE_INVALID`
   *   for a body that is not JSON; `ERR_KUBE_BODY_TOO_LARGE`; the transport's and HTTP's errors
   * @example
   *   const version = await client.request<{gitVersion: string}>({path: '/version'});
   */
  async request<T = unknown>(request: KubeRequest): Promise<T> {
    const response = await this.stream({...request, accept: 'application/json'});
    const body = await readBody(response.body, this.#limits.maxBodyBytes);
    if (body.length === 0) return undefined as T;
    const text = utf8Decode(body);
    try {
      if (text === undefined) throw new Error('not UTF-8');
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new KubeError(
        'ERR_KUBE_RESPONSE_INVALID',
        `Invalid response: the body of ${request.method ?? 'GET'} ${pathOf(request.path)} is not JSON`,
        {cause},
      );
    }
  }

  /**
   * Sends a request and resolves with a 2xx response as soon as its head arrives; the body
   * streams. The base of `watch` and `logs`, for anything else that streams.
   *
   * @throws KubeError `ERR_KUBE_STATUS` for a status other than 2xx (the body is read for it)
   */
  async stream(request: KubeRequest & {accept?: string}): Promise<HttpResponse> {
    const method = request.method ?? 'GET';
    const headers: Record<string, string> = {...(await this.#authorization())};
    if (request.accept !== undefined) headers.Accept = request.accept;
    let body: Uint8Array | string | undefined;
    if (request.body !== undefined) {
      body =
        request.body instanceof Uint8Array || typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
      headers['Content-Type'] = request.contentType ?? 'application/json';
    }
    Object.assign(headers, request.headers);
    const target = withQuery(request.path, request.query);
    const response = await this.#withConnection(method, (connection) =>
      connection.request(
        {method, target, headers, ...(body === undefined ? {} : {body})},
        request.signal === undefined ? {} : {signal: request.signal},
      ),
    );
    if (response.status < 200 || response.status > 299) {
      const text = await readBody(response.body, this.#limits.maxBodyBytes);
      throw statusError(response.status, response.statusText, text);
    }
    return response;
  }

  /**
   * Lists a resource (`GET` on its collection).
   *
   * @example
   *   const {items, metadata} = await client.list({apiVersion: 'v1', resource: 'pods', namespace: 'web'});
   */
  list<T = KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<KubeList<T>> {
    const {signal, ...query} = options;
    return this.request<KubeList<T>>({
      path: resourcePath(ref),
      query: {...query},
      ...(signal === undefined ? {} : {signal}),
    });
  }

  /**
   * Reads one object.
   *
   * @throws KubeError `ERR_KUBE_STATUS` with `status` 404 and `reason` `NotFound` when it does not exist
   */
  get<T = KubeObject>(
    ref: ResourceRef,
    name: string,
    options: {signal?: AbortSignal} = {},
  ): Promise<T> {
    return this.request<T>({path: resourcePath(ref, name), ...options});
  }

  /**
   * Watches a resource: resolves once the server has accepted the watch, then yields its
   * events as they arrive. An `ERROR` event (410 Gone: the resource version is too old) is
   * yielded like any other; relisting is the caller's.
   *
   * @example
   *   const {metadata} = await client.list(pods);
   *   const events = await client.watch(pods, {resourceVersion: metadata.resourceVersion});
   *   for await (const event of events) console.log(event.type, event.object.metadata?.name);
   */
  async watch<T = KubeObject>(ref: ResourceRef, options: WatchOptions = {}): Promise<KubeWatch<T>> {
    const {signal, ...query} = options;
    const response = await this.stream({
      path: resourcePath(ref),
      query: {...query, watch: true},
      accept: 'application/json',
      ...(signal === undefined ? {} : {signal}),
    });
    return new KubeWatch(response.body.pipeThrough(watchEventStream<T>(this.#limits.maxBodyBytes)));
  }

  /**
   * A container's log as text, as it arrives; with `follow`, lines written later keep
   * coming. Cancelling the stream ends it.
   *
   * @example
   *   const log = await client.logs('web', {namespace: 'default', follow: true});
   *   for await (const text of log) terminal.write(text);
   */
  async logs(pod: string, options: LogOptions): Promise<ReadableStream<string>> {
    const {namespace, signal, ...query} = options;
    const response = await this.stream({
      path: resourcePath({...POD, namespace}, pod, 'log'),
      query: {...query},
      ...(signal === undefined ? {} : {signal}),
    });
    return response.body.pipeThrough(textDecoderStream());
  }

  /**
   * Runs a command in a container (`pods/exec`) over a WebSocket inside the stream.
   *
   * @throws KubeError `ERR_KUBE_STATUS` when refused (403 keeps the `Status` message)
   * @example
   *   const session = await client.exec('web', {namespace: 'default', command: ['echo', 'hi']});
   *   const [output, {code}] = await Promise.all([new Response(session.stdout).text(), session.exit]);
   */
  exec(pod: string, options: ExecOptions): Promise<ExecSession> {
    const {namespace, command, container, stdin, tty, signal} = options;
    const path = resourcePath({...POD, namespace}, pod, 'exec');
    return this.#remoteCommand(
      withQuery(path, {command, ...remoteCommandQuery(container, stdin, tty)}),
      stdin === true,
      signal,
    );
  }

  /**
   * Attaches to a container's running process (`pods/attach`), as `kubectl attach`.
   *
   * @throws KubeError `ERR_KUBE_STATUS` when refused
   */
  attach(pod: string, options: AttachOptions): Promise<ExecSession> {
    const {namespace, container, stdin, tty, signal} = options;
    const path = resourcePath({...POD, namespace}, pod, 'attach');
    return this.#remoteCommand(
      withQuery(path, remoteCommandQuery(container, stdin, tty)),
      stdin === true,
      signal,
    );
  }

  /** Closes every connection: idle ones, streams, watches and exec sessions. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#connections) connection.close();
    this.#idle.length = 0;
  }

  async #remoteCommand(
    target: string,
    stdin: boolean,
    signal: AbortSignal | undefined,
  ): Promise<ExecSession> {
    const headers = await this.#authorization();
    return this.#withConnection('GET', (connection) =>
      ExecSession.open(connection, target, {
        ...this.#limits,
        headers,
        stdin,
        ...(signal === undefined ? {} : {signal}),
      }),
    );
  }

  async #authorization(): Promise<Record<string, string>> {
    if (this.#token === undefined) return {};
    return {Authorization: `Bearer ${await this.#token()}`};
  }

  /**
   * Runs `use` on an idle connection or a new one. A kept-alive connection may have been
   * closed by the server just as it was picked (RFC 9112 §9.3.1): a safe request that fails
   * that way before any answer is retried once on a new connection, as undici does.
   */
  async #withConnection<R>(
    method: string,
    use: (connection: HttpConnection) => Promise<R>,
  ): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const {connection, reused} = await this.#acquire();
      try {
        return await use(connection);
      } catch (error) {
        const stale =
          reused &&
          attempt === 0 &&
          SAFE_METHODS.has(method) &&
          error instanceof KubeError &&
          error.code === 'ERR_KUBE_CONNECTION_CLOSED';
        if (!stale) throw error;
      }
    }
  }

  async #acquire(): Promise<{connection: HttpConnection; reused: boolean}> {
    this.#assertOpen();
    for (let idle = this.#idle.pop(); idle !== undefined; idle = this.#idle.pop())
      if (idle.state === ConnectionState.IDLE) return {connection: idle, reused: true};
    const transport = await this.#connect();
    try {
      this.#assertOpen();
    } catch (error) {
      transport.close();
      throw error;
    }
    const connection: HttpConnection = new HttpConnection(transport, {
      ...this.#limits,
      ...(this.#host === undefined ? {} : {host: this.#host}),
      onIdle: () => {
        this.#release(connection);
      },
    });
    this.#connections.add(connection);
    void connection.closed.then(() => {
      this.#connections.delete(connection);
      const index = this.#idle.indexOf(connection);
      if (index !== -1) this.#idle.splice(index, 1);
    });
    return {connection, reused: false};
  }

  #assertOpen(): void {
    if (this.#closed) throw new KubeError('ERR_KUBE_CONNECTION_CLOSED', 'Client is closed');
  }

  #release(connection: HttpConnection): void {
    if (this.#closed || this.#idle.length >= this.#limits.maxIdleConnections) connection.close();
    else this.#idle.push(connection);
  }
}

/**
 * UTF-8 bytes to text as they come; a character split across chunks is held for the next.
 * (`TextDecoderStream` would do, but its types take only `ArrayBuffer`-backed views.)
 */
function textDecoderStream(): TransformStream<Uint8Array, string> {
  const decoder = new TextDecoder();
  return new TransformStream<Uint8Array, string>({
    transform(chunk, controller) {
      const text = decoder.decode(chunk, {stream: true});
      if (text !== '') controller.enqueue(text);
    },
    flush(controller) {
      const text = decoder.decode();
      if (text !== '') controller.enqueue(text);
    },
  });
}

function remoteCommandQuery(
  container: string | undefined,
  stdin: boolean | undefined,
  tty: boolean | undefined,
): Record<string, QueryValue> {
  // A TTY merges stderr into stdout; the apiserver refuses stderr=true with tty=true.
  return {container, stdin: stdin === true, stdout: true, stderr: tty !== true, tty: tty === true};
}

/** A path for an error message: without its query, which may carry a token. */
function pathOf(path: string): string {
  return path.split('?')[0] ?? path;
}
