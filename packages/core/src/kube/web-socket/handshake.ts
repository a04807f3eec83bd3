import {KubeError} from '../../errors.js';
import type {KubeLimits} from '../constants.js';
import {KUBE_DEFAULTS, WEBSOCKET_GUID} from '../constants.js';
import type {HttpConnection} from '../http/http-connection.js';
import {readBody} from '../http/read-body.js';
import {statusError} from '../status.js';
import {WebSocketClient} from './web-socket-client.js';
import type {WebSocketHandler} from './web-socket-client.js';

/** What {@link openWebSocket} asks the server for. */
export interface WebSocketRequest {
  /** The origin-form target, e.g. `/api/v1/namespaces/default/pods/web/exec?command=date`. */
  target: string;
  /** Subprotocols to offer, best first (RFC 6455 §4.1 `Sec-WebSocket-Protocol`). */
  protocols: readonly string[];
  /** More request headers, e.g. `Authorization`. */
  headers?: Record<string, string>;
}

/** Options of {@link openWebSocket}. */
export interface OpenWebSocketOptions extends Partial<
  Pick<KubeLimits, 'maxMessageSize' | 'closeTimeoutMs' | 'maxBodyBytes'>
> {
  signal?: AbortSignal;
  /** Messages longer than this are sent in fragments; default: never. */
  fragmentSize?: number;
}

/**
 * Runs the client's opening handshake (RFC 6455 §4.1) as an HTTP/1.1 upgrade on `connection`,
 * and returns the WebSocket that runs inside the stream afterwards.
 *
 * The key comes from `crypto.getRandomValues`; the server's `Sec-WebSocket-Accept` is checked
 * against its SHA-1 with WebCrypto, and the subprotocol must be one that was offered.
 *
 * @param connection an idle connection; it belongs to the WebSocket afterwards
 * @param request the target, the subprotocols and more headers
 * @param handler receives messages and the end
 * @param options limits and `signal`
 * @throws KubeError `ERR_KUBE_STATUS` when the server answers other than 101 (a 403 keeps the
 *   `Status` message); `ERR_KUBE_WEBSOCKET_HANDSHAKE` when its 101 is not a valid WebSocket
 *   handshake; the connection's errors
 * @example
 *   const socket = await openWebSocket(connection, {target, protocols: ['v5.channel.k8s.io']}, handler);
 */
export async function openWebSocket(
  connection: HttpConnection,
  request: WebSocketRequest,
  handler: WebSocketHandler,
  options: OpenWebSocketOptions = {},
): Promise<WebSocketClient> {
  const key = base64(crypto.getRandomValues(new Uint8Array(16)));
  const headers: Record<string, string> = {
    ...request.headers,
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': key,
  };
  if (request.protocols.length > 0)
    headers['Sec-WebSocket-Protocol'] = request.protocols.join(', ');
  const response = await connection.request(
    {method: 'GET', target: request.target, headers},
    {upgrade: true, ...(options.signal === undefined ? {} : {signal: options.signal})},
  );
  const transport = response.upgraded;
  if (transport === undefined) {
    const body = await readBody(response.body, options.maxBodyBytes ?? KUBE_DEFAULTS.maxBodyBytes);
    throw statusError(response.status, response.statusText, body);
  }
  const fail = (what: string) => {
    transport.close();
    return new KubeError('ERR_KUBE_WEBSOCKET_HANDSHAKE', `WebSocket handshake failed: ${what}`);
  };
  // RFC 6455 §4.1, the client's checks of the server's handshake, steps 2–6.
  if (response.headers.get('upgrade')?.toLowerCase() !== 'websocket')
    throw fail('no "Upgrade: websocket" in the 101');
  if (!tokens(response.headers.get('connection')).includes('upgrade'))
    throw fail('no "Connection: Upgrade" in the 101');
  if (response.headers.get('sec-websocket-accept') !== (await acceptFor(key)))
    throw fail('Sec-WebSocket-Accept does not match the key');
  if (response.headers.get('sec-websocket-extensions') !== null)
    throw fail('the server chose an extension that was not offered');
  const protocol = response.headers.get('sec-websocket-protocol') ?? '';
  if (protocol !== '' && !request.protocols.includes(protocol))
    throw fail(`the server chose subprotocol "${protocol.slice(0, 64)}", which was not offered`);
  return new WebSocketClient(transport, handler, {
    protocol,
    ...(options.maxMessageSize === undefined ? {} : {maxMessageSize: options.maxMessageSize}),
    ...(options.closeTimeoutMs === undefined ? {} : {closeTimeoutMs: options.closeTimeoutMs}),
    ...(options.fragmentSize === undefined ? {} : {fragmentSize: options.fragmentSize}),
  });
}

/**
 * `Sec-WebSocket-Accept` for a key: base64 of the SHA-1 of the key and the GUID (RFC 6455
 * §4.2.2 step 5.4).
 *
 * @example
 *   await acceptFor('dGhlIHNhbXBsZSBub25jZQ=='); // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-1',
    new TextEncoder().encode(key + WEBSOCKET_GUID),
  );
  return base64(new Uint8Array(digest));
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function tokens(value: string | null): string[] {
  return (value ?? '').split(',').map((part) => part.trim().toLowerCase());
}
