import type {IncomingMessage, ServerResponse} from 'node:http';

import {PAGE_HEADERS} from './pages.js';

/**
 * Reads a request body of at most `limit` bytes.
 *
 * @returns the body, or `undefined` when it is larger (by `content-length` or as it arrives);
 *   the caller then answers 413 with `connection: close`, since the rest is never read
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req.iterator({destroyOnReturn: false}) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}

/** Whether the request declares a body of `type` (parameters such as `charset` aside). */
export function hasContentType(req: IncomingMessage, type: string): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === type;
}

/** Sends a JSON response, never cached. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends an HTML page with {@link PAGE_HEADERS}: never cached, never framed, no scripts. */
export function sendPage(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {...PAGE_HEADERS, ...headers, 'content-length': Buffer.byteLength(html)});
  res.end(html);
}
