import {HybridConnectionError} from '../../errors.js';
import {MUX_SUBPROTOCOL} from '../mux/constants.js';
import {MuxSession} from '../mux/session.js';
import type {MuxSessionOptions} from '../mux/session.js';
import type {MuxStream} from '../mux/stream.js';
import {SERVICE_BUS_AUTHORIZATION} from './constants.js';
import {connectSender} from './sender.js';
import type {SenderOptions} from './sender.js';
import {preferBytes, WebSocketState, whenOpen, withReservedQuery} from './web-socket.js';
import type {TokenPlacement, WebSocketFactory, WebSocketLike} from './web-socket.js';

/** Mux limits and the clock, as a session takes them. */
export type MuxTuning = Omit<MuxSessionOptions, 'role' | 'onStream'>;

/**
 * Runs a mux session over an open WebSocket whose handshake selected `porthole.mux.v1`: its
 * messages feed the session, its close ends it (PROTOCOL.md §1).
 */
export function muxSessionOver(socket: WebSocketLike, options: MuxSessionOptions): MuxSession {
  preferBytes(socket);
  const session = new MuxSession(
    {
      send: (bytes) => {
        if (socket.readyState === WebSocketState.OPEN) socket.send(bytes);
      },
      close: (code, reason) => socket.close(code, reason),
    },
    options,
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
 * `openStream()` (PROTOCOL.md §4.2), each opened in half a round trip.
 *
 * @throws HybridConnectionError `ERR_HC_HANDSHAKE_FAILED` when the handshake fails, or when the
 *   relay answers without the mux (an Azure Relay namespace, or no mux listener): use one
 *   WebSocket per connection there instead
 */
export async function connectMuxSender(
  options: Omit<SenderOptions, 'protocols'> & MuxTuning,
): Promise<MuxSession> {
  const socket = await connectSender({...options, protocols: [MUX_SUBPROTOCOL]});
  return requireMux(socket, options, undefined);
}

/** What {@link openMuxListener} needs. */
export interface MuxListenerOptions extends MuxTuning {
  /** `wss://{relay}/$hc/{hc}`; `sb-hc-action=listen` is added. */
  address: string;
  /** A SAS token with the Listen right. Renewal is a new connection (PROTOCOL.md §6.5). */
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
    protocols: [MUX_SUBPROTOCOL],
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
  if (socket.protocol !== MUX_SUBPROTOCOL) {
    socket.close(1000, 'Mux not offered');
    throw new HybridConnectionError(
      'ERR_HC_HANDSHAKE_FAILED',
      `The relay did not select ${MUX_SUBPROTOCOL}`,
    );
  }
  const tuning: MuxTuning = {};
  for (const key of TUNING_KEYS) {
    if (options[key] !== undefined) Object.assign(tuning, {[key]: options[key]});
  }
  return muxSessionOver(socket, {
    ...tuning,
    role: 'dialer',
    ...(onStream === undefined ? {} : {onStream}),
  });
}

const TUNING_KEYS = [
  'maxFrameSize',
  'maxOpenPropertiesBytes',
  'maxStreams',
  'maxConnectionWindow',
  'maxStreamWindow',
  'maxPingsPerSecond',
  'pingIntervalMs',
  'idleTimeoutMs',
  'clock',
  'onGoAway',
] as const satisfies readonly (keyof MuxTuning)[];
