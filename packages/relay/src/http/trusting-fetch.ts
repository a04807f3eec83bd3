import {request} from 'node:https';

/**
 * A `fetch` that trusts `caPem` — the embedded identity provider's own CA — instead of the
 * system's roots, for the relay's in-process calls to that provider: its discovery document and
 * keys, and the client-credentials token and Graph reads of group overage. Only what those
 * callers send is supported: a method, headers, a string body, a signal.
 */
export function fetchTrusting(caPem: string): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const payload = init?.body ?? undefined;
      if (url.protocol !== 'https:') {
        reject(new TypeError(`Only https URLs are supported (got ${url.protocol})`));
        return;
      }
      if (payload !== undefined && typeof payload !== 'string') {
        reject(new TypeError('Only string request bodies are supported'));
        return;
      }
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const outgoing = request(
        url,
        {method: init?.method ?? 'GET', ca: caPem, headers, signal: init?.signal ?? undefined},
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
      outgoing.end(payload);
    });
}
