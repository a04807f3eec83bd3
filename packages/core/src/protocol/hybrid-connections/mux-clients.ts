import {HybridConnectionError} from '../../errors.js';
import {MUX_SUBPROTOCOLS, muxVersionOf} from '../mux/constants.js';
import {MuxSession} from '../mux/session.js';
import type {MuxSessionOptions} from '../mux/session.js';
import type {MuxStream} from '../mux/stream.js';
import {SERVICE_BUS_AUTHORIZATION} from './constants.js';
import {connectSender} from './sender.js';
import type {SenderOptions} from './sender.js';
import {preferBytes, WebSocketState, whenOpen, withReservedQuery} from './web-socket.js';
import type {TokenPlacement, WebSocketFactory, WebSocketLike} from './web-socket.js';

/** Mux limits, the clock and `onGoAway`, as a session takes them; the handshake sets the rest. */
export type MuxTuning = Omit<MuxSessionOptions, 'role' | 'onStream' | 'version' | 'onRenew'>;

/**
 * Runs a mux session over an open WebSocket whose handshake selected `porthole.mux.v2` or
 * `porthole.mux.v1`: its messages feed the session, its close ends it (PROTOCOL.md §1). The
 * version is the subprotocol's unless `options.version` says otherwise.
 */
export function muxSessionOver(socket: WebSocketLike, options: MuxSessionOptions): MuxSession {
  preferBytes(socket);
  const version = options.version ?? muxVersionOf(socket.protocol) ?? 1;
  const session = new MuxSession(
    {
      send: (bytes) => {
        if (socket.readyState === WebSocketState.OPEN) socket.send(bytes);
      },
      close: (code, reason) => socket.close(code, reason),
    },
    {...options, version},
  );
  socket.addEventListener('message', (event: {data: unknown}) => {
    const {data} = event;
    if (typeof data === 'string') session.receive(data);
    else if (data instanceof ArrayBuffer) session.receive(new Uint8Array(data));
    else if (ArrayBuffer.isView(data))
      session.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
  socket.addEventListener('close', (event: {code: number; reason: string}) => {
    session.transportClosed(event.code, event.reason);
  });
  return session;
}

/**
 * Opens a mux connection to a hybrid connection as a sender: one WebSocket, then a stream per
 * `openStream()` (PROTOCOL.md §4.2), each opened in half a round trip. It offers versions 2 and
 * 1; when the relay selects 2, `session.renewable` is true and `renewToken()` renews the token
 * in place (§3.7).
 *
 * @throws HybridConnectionError `ERR_HC_HANDSHAKE_FAILED` when the handshake fails, or when the
 *   relay answers without the mux (an Azure Relay namespace, or no mux listener): use one
 *   WebSocket per connection there instead
 */
export async function connectMuxSender(
  options: Omit<SenderOptions, 'protocols'> & MuxTuning,
): Promise<MuxSession> {
  const socket = await connectSender({...options, protocols: [...MUX_SUBPROTOCOLS]});
  return requireMux(socket, options, undefined);
}

/** What {@link openMuxListener} needs. */
export interface MuxListenerOptions extends MuxTuning {
  /** `wss://{relay}/$hc/{hc}`; `sb-hc-action=listen` is added. */
  address: string;
  /**
   * A SAS token with the Listen right. Renew it with `session.renewToken()` when the relay
   * selected version 2, else with a new connection (PROTOCOL.md §6.5).
   */
  token: string;
  tokenPlacement?: TokenPlacement;
  webSocket: WebSocketFactory;
  /** Each stream a sender opens through the relay. */
  onStream: (stream: MuxStream) => void;
  timeoutMs?: number;
}

/**
 * Listens on a hybrid connection with the mux: senders' streams arrive over this one
 * WebSocket instead of a rendezvous each.
 *
 * @throws HybridConnectionError `ERR_HC_HANDSHAKE_FAILED` as {@link connectMuxSender}
 */
export async function openMuxListener(options: MuxListenerOptions): Promise<MuxSession> {
  const placement = options.tokenPlacement ?? 'header';
  const query: Record<string, string> = {'sb-hc-action': 'listen'};
  if (placement === 'query') query['sb-hc-token'] = options.token;
  const socket = options.webSocket(withReservedQuery(options.address, query), {
    protocols: [...MUX_SUBPROTOCOLS],
    headers: placement === 'header' ? {[SERVICE_BUS_AUTHORIZATION]: options.token} : {},
  });
  await whenOpen(socket, 'Hybrid Connections listen', options.timeoutMs ?? 30_000);
  return requireMux(socket, options, options.onStream);
}

function requireMux(
  socket: WebSocketLike,
  options: MuxTuning,
  onStream: ((stream: MuxStream) => void) | undefined,
): MuxSession {
  const version = muxVersionOf(socket.protocol);
  if (version === undefined) {
    socket.close(1000, 'Mux not offered');
    throw new HybridConnectionError(
      'ERR_HC_HANDSHAKE_FAILED',
      `The relay did not select ${MUX_SUBPROTOCOLS.join(' or ')}`,
    );
  }
  const tuning: MuxTuning = {};
  for (const key of TUNING_KEYS) {
    if (options[key] !== undefined) Object.assign(tuning, {[key]: options[key]});
  }
  return muxSessionOver(socket, {
    ...tuning,
    role: 'dialer',
    version,
    ...(onStream === undefined ? {} : {onStream}),
  });
}

const TUNING_KEYS = [
  'maxFrameSize',
  'maxOpenPropertiesBytes',
  'maxRenewBytes',
  'maxStreams',
  'maxConnectionWindow',
  'maxStreamWindow',
  'maxPingsPerSecond',
  'pingIntervalMs',
  'idleTimeoutMs',
  'renewTimeoutMs',
  'clock',
  'onGoAway',
] as const satisfies readonly (keyof MuxTuning)[];
