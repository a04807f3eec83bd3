import {KubeError} from '../../errors.js';
import {printable} from '../../lib/printable.js';

/** One HTTP/1.1 request (RFC 9112 §3). */
export interface HttpRequest {
  /** A token, e.g. `GET`, `POST`, `PATCH`. */
  method: string;
  /** The origin-form target: an absolute path and its query, percent-encoded (`/api/v1/pods?limit=5`). */
  target: string;
  /**
   * Header fields. `Host`, `Content-Length`, `Transfer-Encoding` and `Connection` are the
   * client's to set. Values may hold visible ASCII, spaces, tabs and Latin-1 (RFC 9110 §5.5).
   */
  headers?: Record<string, string>;
  /** The content; a string is sent as UTF-8. Sent with `Content-Length`. */
  body?: Uint8Array | string;
}

/** RFC 9110 §5.6.2 `token`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9112 §3.2.1 origin-form: a path that starts with `/`, visible ASCII only. */
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
/** RFC 9110 §5.5 field-value: VCHAR, obs-text, SP and HTAB. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers whose framing or routing meaning is the client's own. */
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
/** Methods whose requests carry content, so an empty one still says `Content-Length: 0`. */
const CONTENT_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const encoder = new TextEncoder();

/**
 * Serialises a request: its head, then its content. Nothing that could split the head — CR,
 * LF, NUL, a space in the target — gets through (request smuggling, RFC 9112 §11.2).
 *
 * @param request the request
 * @param options `host` for the `Host` header (required in HTTP/1.1, RFC 9112 §3.2);
 *   `connection` headers for an upgrade (`Connection: Upgrade`)
 * @throws KubeError `ERR_KUBE_REQUEST_INVALID` naming the method, target or header at fault
 *   (never a header's value, which may be a credential)
 * @example
 *   transport.send(encodeRequest({method: 'GET', target: '/version'}, {host: 'kubernetes'}));
 */
export function encodeRequest(
  request: HttpRequest,
  options: {host: string; connection?: string},
): Uint8Array {
  const {method, target} = request;
  if (!TOKEN.test(method)) throw invalid(`method "${printable(method)}" is not a token`);
  if (!ORIGIN_FORM.test(target))
    throw invalid(`target "${printable(target)}" is not an absolute path of visible ASCII`);
  if (!FIELD_VALUE.test(options.host) || options.host === '') throw invalid('invalid host');
  let head = `${method} ${target} HTTP/1.1\r\nHost: ${options.host}\r\n`;
  if (options.connection !== undefined) head += `Connection: ${options.connection}\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!TOKEN.test(name)) throw invalid(`header name "${printable(name)}" is not a token`);
    if (RESERVED.has(name.toLowerCase()))
      throw invalid(`header "${name}" is set by the client itself`);
    if (!FIELD_VALUE.test(value)) throw invalid(`the value of header "${name}" has a control byte`);
    head += `${name}: ${value}\r\n`;
  }
  const body = typeof request.body === 'string' ? encoder.encode(request.body) : request.body;
  if (body !== undefined || CONTENT_METHODS.has(method))
    head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  const bytes = new Uint8Array(head.length + (body?.length ?? 0));
  for (let i = 0; i < head.length; i++) bytes[i] = head.charCodeAt(i);
  if (body !== undefined) bytes.set(body, head.length);
  return bytes;
}

function invalid(what: string): KubeError {
  return new KubeError('ERR_KUBE_REQUEST_INVALID', `Invalid request: ${what}`);
}
