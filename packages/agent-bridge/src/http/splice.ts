import {finished} from 'node:stream';
import type {Duplex} from 'node:stream';

/**
 * Joins two connections after an upgrade: bytes pass both ways untouched, and each side's end
 * is passed on as a half-close, so the last bytes before a close (a WebSocket close frame, the
 * final SPDY frames) arrive before the other side ends. Only a failure — an error or a side
 * that vanishes mid-stream — tears both down at once.
 */
export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const abortOther = (other: Duplex) => (err: Error | null | undefined) => {
    if (err) other.destroy();
  };
  finished(a, abortOther(b));
  finished(b, abortOther(a));
}
