import {STATUS_CODES} from 'node:http';
import type {Duplex} from 'node:stream';

/**
 * Answers an HTTP upgrade with an error status instead of upgrading (STYLE §12: never upgrade
 * and then close). Like Azure Relay, the description is also the status line's reason phrase
 * and carries the tracking id (hybrid-connections.md §1.6).
 */
export function rejectHandshake(
  socket: Duplex,
  status: number,
  description: string,
  trackingId: string,
): void {
  if (socket.destroyed) return;
  const text = `${description} TrackingId:${trackingId}`;
  const reason = statusLineReason(text) || STATUS_CODES[status] || 'Error';
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `TrackingId: ${trackingId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** A reason phrase must be visible ASCII and spaces only (RFC 9112 §4). */
export function statusLineReason(text: string): string {
  return text
    .replace(/[^\x20-\x7e]/g, ' ')
    .slice(0, 512)
    .trim();
}

/** The host a request named, without port, lowercased; `''` when there is none. */
export function requestHost(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return '';
  }
}
