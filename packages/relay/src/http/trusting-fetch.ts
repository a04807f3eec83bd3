import {request} from 'node:https';

/**
 * A `fetch` for GET requests that trusts `caPem` — the embedded identity provider's own CA —
 * instead of the system's roots, for the relay's in-process reads of that provider's discovery
 * document and keys. Only what the token validator sends is supported: GET, headers, a signal.
 */
export function fetchTrusting(caPem: string): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if ((init?.method ?? 'GET') !== 'GET' || url.protocol !== 'https:') {
        reject(new TypeError(`Only GET of https URLs is supported (got ${url.protocol})`));
        return;
      }
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const outgoing = request(
        url,
        {ca: caPem, headers, signal: init?.signal ?? undefined},
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
                responseHeaders.append(name, item);
            }
            const status = incoming.statusCode ?? 502;
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, {status, headers: responseHeaders}));
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
}
