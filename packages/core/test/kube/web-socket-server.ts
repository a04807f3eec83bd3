// A scripted WebSocket server for the kube tests: it answers the upgrade on a MemoryTransport
// and reads the client's masked frames.
import {HttpConnection, acceptFor} from '../../src/kube/index.js';
import type {SeenRequest} from './helpers.js';
import {MemoryTransport, concat, serveHttp} from './helpers.js';

/** A client frame, unmasked. */
export interface ClientFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** Parses the client's frames (masked, RFC 6455 §5.3) from what it sent. */
export function clientFrames(data: Uint8Array): ClientFrame[] {
  const frames: ClientFrame[] = [];
  let offset = 0;
  while (offset < data.length) {
    const first = data[offset] ?? 0;
    const second = data[offset + 1] ?? 0;
    let length = second & 0x7f;
    let at = offset + 2;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (length === 126) {
      length = view.getUint16(at);
      at += 2;
    } else if (length === 127) {
      length = view.getUint32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
      at += 8;
    }
    const masked = (second & 0x80) !== 0;
    const mask = masked ? data.subarray(at, at + 4) : new Uint8Array(4);
    if (masked) at += 4;
    const payload = data.slice(at, at + length).map((byte, i) => byte ^ (mask[i & 3] ?? 0));
    frames.push({fin: (first & 0x80) !== 0, opcode: first & 0x0f, masked, payload});
    offset = at + length;
  }
  return frames;
}

/** An unmasked server frame. */
export function serverFrame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  const length = payload.length;
  const header =
    length < 126
      ? [length]
      : length < 0x10000
        ? [126, length >> 8, length & 0xff]
        : [
            127,
            0,
            0,
            0,
            0,
            (length >>> 24) & 0xff,
            (length >> 16) & 0xff,
            (length >> 8) & 0xff,
            length & 0xff,
          ];
  return concat([Uint8Array.from([(fin ? 0x80 : 0) | opcode, ...header]), payload]);
}

/** A close frame with a code and a reason. */
export function closeFrame(code: number, reason = ''): Uint8Array {
  const text = new TextEncoder().encode(reason);
  return serverFrame(0x8, concat([Uint8Array.of(code >> 8, code & 0xff), text]));
}

/** What the scripted server answers the upgrade with. */
export interface UpgradeScript {
  /** The subprotocol to select; none when undefined. */
  protocol?: string;
  /** Replaces the correct `Sec-WebSocket-Accept`. */
  accept?: string;
  /** More header lines for the 101. */
  extra?: string;
  /** Answer with this instead of a 101. */
  refuse?: string;
  /** Bytes sent right after the 101, in the same write. */
  early?: Uint8Array;
}

/** The server side of a WebSocket on a memory transport. */
export class ScriptedWebSocketServer {
  readonly transport = new MemoryTransport();
  readonly connection: HttpConnection;
  request: SeenRequest | undefined;
  /** What the client sent after the upgrade. */
  readonly received: Uint8Array[] = [];

  constructor(script: UpgradeScript = {}) {
    serveHttp(this.transport, (request, server) => {
      this.request = request;
      if (script.refuse !== undefined) return script.refuse;
      server.onSend = (data) => this.received.push(data);
      const key = request.headers.get('sec-websocket-key') ?? '';
      void acceptFor(key).then((accept) => {
        const protocol =
          script.protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${script.protocol}\r\n`;
        const head =
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${script.accept ?? accept}\r\n${protocol}${script.extra ?? ''}\r\n`;
        server.push(
          concat([
            Uint8Array.from(head, (c) => c.charCodeAt(0)),
            script.early ?? new Uint8Array(0),
          ]),
        );
      });
      return undefined;
    });
    this.connection = new HttpConnection(this.transport);
  }

  /** The frames the client sent after the upgrade, and forgets them. */
  takeFrames(): ClientFrame[] {
    const frames = clientFrames(concat(this.received));
    this.received.length = 0;
    return frames;
  }

  send(frame: Uint8Array): void {
    this.transport.push(frame);
  }

  end(): void {
    this.transport.end();
  }
}
