import type {IncomingHttpHeaders, OutgoingHttpHeaders} from 'node:http';

/**
 * The header a `porthole … --debug` client sends (Azure's name for it), so that one id shows in
 * the CLI's output and the relay's and the agent's logs.
 */
export const CORRELATION_HEADER = 'x-ms-correlation-request-id';

/**
 * Headers that describe one hop of a connection (RFC 9110 §7.6.1, plus the HTTP/2 ones that
 * HTTP/1.1 may carry), never forwarded across the tunnel.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/**
 * Identity headers a client must never choose for itself: Kubernetes impersonation and the
 * front-proxy headers. Only the agent sets them, after it has authenticated the caller.
 */
const IDENTITY_PREFIXES = ['impersonate-', 'x-remote-'];

/**
 * The request headers to send upstream: hop-by-hop headers, those the `Connection` header
 * names, HTTP/2 pseudo-headers and client-chosen identity headers are removed. For an upgrade,
 * `Connection: Upgrade` and the `Upgrade` header are kept, since they are the request.
 *
 * @param headers the incoming request's headers
 * @param upgrade whether the request asks for a protocol switch (exec, attach, port-forward)
 */
export function forwardRequestHeaders(
  headers: IncomingHttpHeaders,
  upgrade: boolean,
): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || lower.startsWith(':') || HOP_BY_HOP.has(lower) || named.has(lower))
      continue;
    if (IDENTITY_PREFIXES.some((prefix) => lower.startsWith(prefix))) continue;
    forwarded[lower] = value;
  }
  if (upgrade && headers.upgrade !== undefined) {
    forwarded.connection = 'Upgrade';
    forwarded.upgrade = headers.upgrade;
  }
  return forwarded;
}

/** The response headers to pass back: hop-by-hop headers and HTTP/2 pseudo-headers removed. */
export function forwardResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || lower.startsWith(':') || HOP_BY_HOP.has(lower) || named.has(lower))
      continue;
    forwarded[lower] = value;
  }
  return forwarded;
}

/** Whether a request asks to switch protocols (RFC 9110 §7.8). */
export function isUpgrade(headers: IncomingHttpHeaders): boolean {
  return headers.upgrade !== undefined && connectionTokens(headers.connection).has('upgrade');
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    joined
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

/**
 * A Kubernetes `Status` for errors the agent or the bridge answer themselves: kubectl prints
 * its `message` ("Error from server (ServiceUnavailable): …").
 */
export function kubeStatus(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}
