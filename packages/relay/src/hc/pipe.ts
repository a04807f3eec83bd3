import type {WebSocket} from 'ws';

/**
 * Relays messages between two WebSockets both ways, uninterpreted: text stays text, binary
 * stays binary (hybrid-connections.md §1.2). When more than `highWaterMark` bytes wait to be
 * written towards one side, the relay stops reading from the other until they drain, so a
 * slow peer holds at most about that much of the relay's memory.
 *
 * A close on one side closes the other with the same code and reason; an abnormal end (no
 * close frame) closes the other with 1001, "the peer shut down" (§1.6).
 */
export function relayWebSockets(a: WebSocket, b: WebSocket, highWaterMark: number): void {
  forward(a, b, highWaterMark);
  forward(b, a, highWaterMark);
  const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
    if (other.readyState === other.CLOSED || other.readyState === other.CLOSING) return;
    // 1005 (no code) and 1006 (abnormal) are reported locally and may not be sent.
    if (code === 1005) other.close();
    else if (code === 1006) other.close(1001, 'PeerGone');
    else other.close(code, reason);
  };
  a.once('close', closeOther(b));
  b.once('close', closeOther(a));
  const terminateBoth = () => {
    a.terminate();
    b.terminate();
  };
  a.once('error', terminateBoth);
  b.once('error', terminateBoth);
}

function forward(from: WebSocket, to: WebSocket, highWaterMark: number): void {
  let queued = 0;
  let paused = false;
  from.on('message', (data: Buffer, isBinary: boolean) => {
    if (to.readyState !== to.OPEN) return;
    queued += data.length;
    to.send(data, {binary: isBinary}, () => {
      queued -= data.length;
      if (paused && queued <= highWaterMark / 2) {
        paused = false;
        from.resume();
      }
    });
    if (!paused && queued > highWaterMark) {
      paused = true;
      from.pause();
    }
  });
}
