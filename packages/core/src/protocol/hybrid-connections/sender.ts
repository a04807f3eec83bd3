import {SERVICE_BUS_AUTHORIZATION} from './constants.js';
import {whenOpen, withReservedQuery} from './web-socket.js';
import type {TokenPlacement, WebSocketFactory, WebSocketLike} from './web-socket.js';

/** What {@link connectSender} needs. */
export interface SenderOptions {
  /** `wss://{relay}/$hc/{hc}[/suffix][?query]`; `sb-hc-action=connect` is added. */
  address: string;
  /** A SAS token with the Send right; omit it for a hybrid connection without client authorization. */
  token?: string;
  /** Default `header`; browsers, which cannot send headers, use `query`. */
  tokenPlacement?: TokenPlacement;
  /** Subprotocols to offer; the listener picks one. */
  protocols?: string[];
  /** Extra handshake headers, passed to the listener in `accept.connectHeaders`. */
  headers?: Record<string, string>;
  webSocket: WebSocketFactory;
  /** How long to wait for the listener to accept. Default 30 s (the relay's rendezvous timeout). */
  timeoutMs?: number;
}

/**
 * Opens a WebSocket to a hybrid connection's listener through the relay
 * (hybrid-connections.md §1.3). The socket is the listener's, end to end: what the listener
 * sends arrives as sent.
 *
 * @throws HybridConnectionError `ERR_HC_HANDSHAKE_FAILED` with the relay's or the listener's
 *   status (401/403 credential, 404 no listener, the listener's own rejection status)
 * @example
 *   const socket = await connectSender({address: 'wss://relay.example/$hc/clusters/prod', token, webSocket});
 */
export function connectSender(options: SenderOptions): Promise<WebSocketLike> {
  const placement = options.tokenPlacement ?? 'header';
  const query: Record<string, string> = {'sb-hc-action': 'connect'};
  const headers = {...options.headers};
  if (options.token !== undefined) {
    if (placement === 'query') query['sb-hc-token'] = options.token;
    else headers[SERVICE_BUS_AUTHORIZATION] = options.token;
  }
  const socket = options.webSocket(withReservedQuery(options.address, query), {
    protocols: options.protocols ?? [],
    headers,
  });
  return whenOpen(socket, 'Hybrid Connections connect', options.timeoutMs ?? 30_000);
}
