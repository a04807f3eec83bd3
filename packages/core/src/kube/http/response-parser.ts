import {KubeError} from '../../errors.js';
import {latin1Decode, printable} from '../../lib/printable.js';
import {unreachable} from '../../lib/unreachable.js';
import type {HttpLimits} from '../constants.js';
import {KUBE_DEFAULTS} from '../constants.js';

/** The status line and header section of a response (RFC 9112 §4, §5). */
export interface ResponseHead {
  /** `1.0` or `1.1` (RFC 9112 §2.3). */
  version: '1.0' | '1.1';
  status: number;
  /** The reason phrase; may be empty. */
  statusText: string;
  /** Header names are case-insensitive; values are bytes read as Latin-1 (RFC 9110 §5.5). */
  headers: Headers;
}

/** Where a {@link ResponseParser} reports (undici's `#handler`, STYLE §5). */
export interface ResponseHandler {
  /** The final head of a response other than `101`; its body follows. */
  onHead(head: ResponseHead): void;
  /**
   * A `101 Switching Protocols` to a request that asked for it (RFC 9110 §15.2.2): from the
   * byte after its head on, the stream belongs to the new protocol, starting with `rest`.
   */
  onUpgrade(head: ResponseHead, rest: Uint8Array): void;
  /** The next bytes of the body, without framing. A view of a pushed chunk: see {@link ResponseParser.push}. */
  onBody(chunk: Uint8Array): void;
  /**
   * The body ended. `keepAlive` tells whether the connection may carry another request
   * (RFC 9112 §9.3); `trailers` holds a chunked body's trailer fields.
   */
  onComplete(trailers: Headers, keepAlive: boolean): void;
  /** The first error; the parser ignores every byte after it. */
  onError(error: KubeError): void;
}

const ParserState = {
  /** No request is outstanding: any byte is an error. */
  IDLE: 0,
  /** Gathering a status line and header section. */
  HEAD: 1,
  /** A `Content-Length` body: `#remaining` bytes to come. */
  BODY_LENGTH: 2,
  /** A body delimited by the end of the connection (RFC 9112 §6.3 rule 8). */
  BODY_UNTIL_CLOSE: 3,
  /** Hex digits of a chunk size (RFC 9112 §7.1). */
  CHUNK_SIZE: 4,
  /** Whitespace after a chunk size, before `;` or the line's end (RFC 9112 §7.1.1 BWS). */
  CHUNK_SIZE_BWS: 5,
  /** Chunk extensions, skipped up to the line's end. */
  CHUNK_EXTENSION: 6,
  /** The LF that ends a chunk-size line. */
  CHUNK_SIZE_LF: 7,
  /** `#remaining` bytes of chunk data to come. */
  CHUNK_DATA: 8,
  /** The CR after chunk data. */
  CHUNK_DATA_CR: 9,
  /** The LF after chunk data. */
  CHUNK_DATA_LF: 10,
  /** The trailer section after the last chunk (RFC 9112 §7.1.2). */
  TRAILERS: 11,
  /** A 101 handed the stream to another protocol. */
  UPGRADED: 12,
  /** An error was reported; input is ignored. */
  FAILED: 13,
} as const;
type ParserState = (typeof ParserState)[keyof typeof ParserState];

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const SEMICOLON = 0x3b;
/** RFC 9110 §5.6.2 `token`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9][0-9]{2})(?: (.*))?$/;
/** What a field value may not hold (RFC 9110 §5.5): NUL, and bare CR or LF. */
const INVALID_VALUE = /[\0\r\n]/;
const EMPTY = new Uint8Array(0);

/**
 * An incremental parser of HTTP/1.1 responses (RFC 9112) for a client that sends one request
 * at a time: tell it what each response answers ({@link expect}), feed it the stream's bytes in
 * any split ({@link push}), and it reports the head, the body without its framing — by
 * `Content-Length`, `chunked` (with extensions and trailers) or the connection's end — and
 * whether the connection may be reused.
 *
 * Memory is bounded: between pushes it holds at most one partial head or trailer section of
 * `maxHeaderBytes`; body bytes are handed on as they come.
 *
 * @example
 *   const parser = new ResponseParser({onHead, onUpgrade, onBody, onComplete, onError});
 *   parser.expect('GET');
 *   transport.listen({onData: (bytes) => parser.push(bytes), onClose: () => parser.end()});
 */
export class ResponseParser {
  readonly #handler: ResponseHandler;
  readonly #limits: Pick<
    HttpLimits,
    'maxHeaderBytes' | 'maxHeaderCount' | 'maxChunkExtensionBytes'
  >;
  #state: ParserState = ParserState.IDLE;
  #method = 'GET';
  #upgrade = false;
  #keepAlive = true;
  // A head or trailer section is gathered here, up to maxHeaderBytes.
  readonly #section: Uint8Array;
  #sectionFill = 0;
  #remaining = 0;
  #chunkSizeDigits = 0;
  #extensionBytes = 0;

  /**
   * @param handler receives heads, body bytes and the first error
   * @param limits `maxHeaderBytes`, `maxHeaderCount`, `maxChunkExtensionBytes`; `KUBE_DEFAULTS` otherwise
   */
  constructor(handler: ResponseHandler, limits: Partial<HttpLimits> = {}) {
    this.#handler = handler;
    this.#limits = {
      maxHeaderBytes: limits.maxHeaderBytes ?? KUBE_DEFAULTS.maxHeaderBytes,
      maxHeaderCount: limits.maxHeaderCount ?? KUBE_DEFAULTS.maxHeaderCount,
      maxChunkExtensionBytes: limits.maxChunkExtensionBytes ?? KUBE_DEFAULTS.maxChunkExtensionBytes,
    };
    this.#section = new Uint8Array(this.#limits.maxHeaderBytes);
  }

  /** Whether no response is outstanding (the last one ended, or none was expected yet). */
  get idle(): boolean {
    return this.#state === ParserState.IDLE;
  }

  /**
   * Prepares for the response to a request that was just sent.
   *
   * @param method the request's method: a `HEAD` response has no body (RFC 9112 §6.3 rule 1)
   * @param options `upgrade`: the request asked to switch protocols, so a 101 may answer it
   * @throws Error when a response is still outstanding (a bug in the caller)
   */
  expect(method: string, options: {upgrade?: boolean} = {}): void {
    if (this.#state !== ParserState.IDLE) throw new Error('A response is still outstanding');
    this.#method = method;
    this.#upgrade = options.upgrade === true;
    this.#state = ParserState.HEAD;
  }

  /**
   * Parses the next bytes of the stream. Errors go to `handler.onError`, never out of `push`
   * (an exception thrown by the handler itself propagates, and stops the parser).
   *
   * Body bytes are handed over as views of `chunk`, so the caller must not write to `chunk`
   * afterwards (WebSocket message buffers never are).
   */
  push(chunk: Uint8Array): void {
    let offset = 0;
    try {
      while (offset < chunk.length) {
        const next = this.#step(chunk, offset);
        if (next === undefined) return;
        offset = next;
      }
    } catch (error) {
      // Where the handler stopped, the stream position is lost: parse nothing more.
      this.#state = ParserState.FAILED;
      throw error;
    }
  }

  /**
   * The stream ended. That completes a body delimited by the connection's end; in the middle of
   * anything else it is `ERR_KUBE_CONNECTION_CLOSED`.
   *
   * @param cause why the stream ended, when it failed
   */
  end(cause?: Error): void {
    const where = this.#whereInResponse();
    if (this.#state === ParserState.BODY_UNTIL_CLOSE && cause === undefined) {
      this.#state = ParserState.IDLE;
      this.#handler.onComplete(new Headers(), false);
      return;
    }
    if (where === undefined) return;
    this.#fail(
      new KubeError('ERR_KUBE_CONNECTION_CLOSED', `Connection closed ${where}`, {
        ...(cause === undefined ? {} : {cause}),
      }),
    );
  }

  /** For `end()`: where in a response the stream stopped, or `undefined` if not inside one. */
  #whereInResponse(): string | undefined {
    switch (this.#state) {
      case ParserState.IDLE:
      case ParserState.UPGRADED:
      case ParserState.FAILED:
        return undefined;
      case ParserState.HEAD:
        return 'before the response head ended';
      case ParserState.BODY_LENGTH:
        return `with ${this.#remaining} body bytes still to come`;
      case ParserState.BODY_UNTIL_CLOSE:
        return 'while reading the body';
      case ParserState.CHUNK_SIZE:
      case ParserState.CHUNK_SIZE_BWS:
      case ParserState.CHUNK_EXTENSION:
      case ParserState.CHUNK_SIZE_LF:
      case ParserState.CHUNK_DATA:
      case ParserState.CHUNK_DATA_CR:
      case ParserState.CHUNK_DATA_LF:
      case ParserState.TRAILERS:
        return 'before the chunked body ended';
      default:
        return unreachable(this.#state);
    }
  }

  /** Consumes what the current state needs; returns where to go on, or `undefined` to stop. */
  #step(chunk: Uint8Array, offset: number): number | undefined {
    switch (this.#state) {
      case ParserState.IDLE:
        this.#fail(protocolError('bytes arrived when no response was expected'));
        return undefined;
      case ParserState.HEAD:
        return this.#readHead(chunk, offset);
      case ParserState.BODY_LENGTH:
      case ParserState.CHUNK_DATA:
        return this.#readCounted(chunk, offset);
      case ParserState.BODY_UNTIL_CLOSE:
        this.#handler.onBody(offset === 0 ? chunk : chunk.subarray(offset));
        return chunk.length;
      case ParserState.CHUNK_SIZE:
      case ParserState.CHUNK_SIZE_BWS:
      case ParserState.CHUNK_EXTENSION:
      case ParserState.CHUNK_SIZE_LF:
        return this.#readChunkLine(chunk, offset);
      case ParserState.CHUNK_DATA_CR:
      case ParserState.CHUNK_DATA_LF:
        return this.#readChunkEnd(chunk, offset);
      case ParserState.TRAILERS:
        return this.#readTrailers(chunk, offset);
      case ParserState.UPGRADED:
      case ParserState.FAILED:
        return undefined;
      default:
        return unreachable(this.#state);
    }
  }

  #readHead(chunk: Uint8Array, offset: number): number | undefined {
    const gathered = this.#gatherSection(chunk, offset, false);
    if (gathered === undefined) return undefined;
    const lines = this.#sectionLines(gathered.section);
    const statusLine = lines.shift() ?? '';
    const match = STATUS_LINE.exec(statusLine);
    if (match === null) {
      this.#fail(protocolError(`invalid status line "${printable(statusLine)}"`));
      return undefined;
    }
    const headers = this.#fields(lines);
    if (headers === undefined) return undefined;
    const head: ResponseHead = {
      version: match[1] === '0' ? '1.0' : '1.1',
      status: Number(match[2]),
      statusText: match[3] ?? '',
      headers,
    };
    return this.#startBody(head, chunk, gathered.next);
  }

  /** After a head: picks how the body is delimited (RFC 9112 §6.3) and reports the head. */
  #startBody(head: ResponseHead, chunk: Uint8Array, offset: number): number | undefined {
    const {status, headers} = head;
    if (status === 101) {
      if (!this.#upgrade) {
        this.#fail(protocolError('101 Switching Protocols to a request that did not ask'));
        return undefined;
      }
      this.#state = ParserState.UPGRADED;
      this.#handler.onUpgrade(head, offset === chunk.length ? EMPTY : chunk.subarray(offset));
      return undefined;
    }
    // RFC 9110 §15.2: interim responses (100 Continue, 103 Early Hints) precede the final one.
    if (status < 200) {
      this.#state = ParserState.HEAD;
      return offset;
    }
    const connection = tokens(headers.get('connection'));
    this.#keepAlive =
      head.version === '1.1' ? !connection.includes('close') : connection.includes('keep-alive');
    const transferEncoding = headers.get('transfer-encoding');
    const contentLength = headers.get('content-length');
    // RFC 9112 §6.3 rule 1.
    if (this.#method === 'HEAD' || status === 204 || status === 304) {
      this.#handler.onHead(head);
      this.#complete(new Headers());
      return offset;
    }
    if (transferEncoding !== null) {
      // RFC 9112 §6.3 rule 3: both at once may be a smuggling attempt; llhttp refuses it too.
      if (contentLength !== null) {
        this.#fail(protocolError('both Transfer-Encoding and Content-Length'));
        return undefined;
      }
      const codings = tokens(transferEncoding);
      if (codings.length !== 1 || codings[0] !== 'chunked') {
        this.#fail(protocolError(`unsupported Transfer-Encoding "${printable(transferEncoding)}"`));
        return undefined;
      }
      this.#state = ParserState.CHUNK_SIZE;
      this.#remaining = 0;
      this.#chunkSizeDigits = 0;
      this.#handler.onHead(head);
      return offset;
    }
    if (contentLength !== null) {
      const length = parseContentLength(contentLength);
      if (length === undefined) {
        this.#fail(protocolError(`invalid Content-Length "${printable(contentLength)}"`));
        return undefined;
      }
      this.#handler.onHead(head);
      if (length === 0) this.#complete(new Headers());
      else {
        this.#state = ParserState.BODY_LENGTH;
        this.#remaining = length;
      }
      return offset;
    }
    // RFC 9112 §6.3 rule 8.
    this.#keepAlive = false;
    this.#state = ParserState.BODY_UNTIL_CLOSE;
    this.#handler.onHead(head);
    return offset;
  }

  /** Body bytes counted down by `#remaining`: a `Content-Length` body, or one chunk's data. */
  #readCounted(chunk: Uint8Array, offset: number): number {
    const take = Math.min(this.#remaining, chunk.length - offset);
    const next = offset + take;
    this.#remaining -= take;
    this.#handler.onBody(
      offset === 0 && next === chunk.length ? chunk : chunk.subarray(offset, next),
    );
    if (this.#remaining === 0 && this.#state === ParserState.BODY_LENGTH)
      this.#complete(new Headers());
    else if (this.#remaining === 0 && this.#state === ParserState.CHUNK_DATA)
      this.#state = ParserState.CHUNK_DATA_CR;
    return next;
  }

  /** `chunk-size [ BWS ; chunk-ext ] CRLF` (RFC 9112 §7.1, §7.1.1), byte by byte. */
  #readChunkLine(chunk: Uint8Array, offset: number): number | undefined {
    let i = offset;
    while (i < chunk.length) {
      const byte = chunk[i] ?? 0;
      i++;
      switch (this.#state) {
        case ParserState.CHUNK_SIZE: {
          const digit = hexValue(byte);
          if (digit !== undefined) {
            // 13 hex digits reach 2^52: beyond that a size cannot be a safe integer.
            if (++this.#chunkSizeDigits > 13) {
              this.#fail(protocolError('chunk size too large'));
              return undefined;
            }
            this.#remaining = this.#remaining * 16 + digit;
            continue;
          }
          if (this.#chunkSizeDigits === 0) {
            this.#fail(protocolError(`invalid chunk size byte 0x${hexByte(byte)}`));
            return undefined;
          }
          this.#extensionBytes = 0;
          if (byte === CR) {
            this.#state = ParserState.CHUNK_SIZE_LF;
            break;
          }
          if (byte === SEMICOLON) this.#state = ParserState.CHUNK_EXTENSION;
          else if (byte === SP || byte === HTAB) this.#state = ParserState.CHUNK_SIZE_BWS;
          else {
            this.#fail(protocolError(`invalid chunk size byte 0x${hexByte(byte)}`));
            return undefined;
          }
          if (!this.#countExtensionByte()) return undefined;
          break;
        }
        case ParserState.CHUNK_SIZE_BWS:
        case ParserState.CHUNK_EXTENSION: {
          if (byte === CR) {
            this.#state = ParserState.CHUNK_SIZE_LF;
            break;
          }
          if (!this.#countExtensionByte()) return undefined;
          if (this.#state === ParserState.CHUNK_SIZE_BWS) {
            if (byte === SEMICOLON) this.#state = ParserState.CHUNK_EXTENSION;
            else if (byte !== SP && byte !== HTAB) {
              this.#fail(protocolError(`invalid byte 0x${hexByte(byte)} after a chunk size`));
              return undefined;
            }
          } else if ((byte < SP && byte !== HTAB) || byte === 0x7f) {
            // Extensions are tokens, quoted strings and whitespace: no control bytes.
            this.#fail(protocolError(`invalid byte 0x${hexByte(byte)} in a chunk extension`));
            return undefined;
          }
          break;
        }
        case ParserState.CHUNK_SIZE_LF: {
          if (byte !== LF) {
            this.#fail(protocolError('chunk size line not ended by CRLF'));
            return undefined;
          }
          if (this.#remaining === 0) {
            this.#state = ParserState.TRAILERS;
          } else {
            this.#state = ParserState.CHUNK_DATA;
          }
          return i;
        }
        default:
          throw new Error(`Unexpected chunk line state ${this.#state}`);
      }
    }
    return i;
  }

  /** Counts one byte after the chunk size against `maxChunkExtensionBytes`. */
  #countExtensionByte(): boolean {
    if (++this.#extensionBytes <= this.#limits.maxChunkExtensionBytes) return true;
    this.#fail(
      new KubeError(
        'ERR_KUBE_CHUNK_EXTENSIONS_TOO_LARGE',
        `Chunk extensions exceed maxChunkExtensionBytes (${this.#limits.maxChunkExtensionBytes} bytes)`,
      ),
    );
    return false;
  }

  /** The CRLF after chunk data (RFC 9112 §7.1). */
  #readChunkEnd(chunk: Uint8Array, offset: number): number | undefined {
    const byte = chunk[offset];
    const expected = this.#state === ParserState.CHUNK_DATA_CR ? CR : LF;
    if (byte !== expected) {
      this.#fail(protocolError('chunk data not followed by CRLF'));
      return undefined;
    }
    if (this.#state === ParserState.CHUNK_DATA_CR) {
      this.#state = ParserState.CHUNK_DATA_LF;
    } else {
      this.#state = ParserState.CHUNK_SIZE;
      this.#remaining = 0;
      this.#chunkSizeDigits = 0;
    }
    return offset + 1;
  }

  /** `*( field-line CRLF ) CRLF` after the last chunk (RFC 9112 §7.1.2). */
  #readTrailers(chunk: Uint8Array, offset: number): number | undefined {
    const gathered = this.#gatherSection(chunk, offset, true);
    if (gathered === undefined) return undefined;
    const lines = this.#sectionLines(gathered.section);
    const trailers = this.#fields(lines);
    if (trailers === undefined) return undefined;
    this.#complete(trailers);
    return gathered.next;
  }

  /**
   * Gathers a field section up to its blank line; `undefined` while more bytes are needed (or
   * on error). `allowEmpty`: the section may be the blank line alone (trailers).
   */
  #gatherSection(
    chunk: Uint8Array,
    offset: number,
    allowEmpty: boolean,
  ): {section: Uint8Array; next: number} | undefined {
    const max = this.#limits.maxHeaderBytes;
    const section = this.#section;
    const before = this.#sectionFill;
    const take = Math.min(chunk.length - offset, max - before);
    section.set(chunk.subarray(offset, offset + take), before);
    const fill = before + take;
    let end: number | undefined;
    if (allowEmpty && fill >= 2 && section[0] === CR && section[1] === LF) end = 2;
    else {
      // Only a terminator that includes a new byte can be new.
      for (let i = Math.max(0, before - 3); i + 3 < fill; i++) {
        if (
          section[i] === CR &&
          section[i + 1] === LF &&
          section[i + 2] === CR &&
          section[i + 3] === LF
        ) {
          end = i + 4;
          break;
        }
      }
    }
    if (end !== undefined) {
      this.#sectionFill = 0;
      return {section: section.subarray(0, end), next: offset + (end - before)};
    }
    this.#sectionFill = fill;
    if (fill >= max) {
      const what = this.#state === ParserState.TRAILERS ? 'Trailer section' : 'Response head';
      this.#fail(
        new KubeError(
          'ERR_KUBE_HEADERS_TOO_LARGE',
          `${what} exceeds maxHeaderBytes (${max} bytes)`,
        ),
      );
    }
    return undefined;
  }

  /** The lines of a gathered section, without their CRLFs and the final blank line. */
  #sectionLines(section: Uint8Array): string[] {
    const text = latin1Decode(section.subarray(0, section.length - 4));
    return section.length === 2 ? [] : text.split('\r\n');
  }

  /** Field lines into `Headers` (RFC 9112 §5), or `undefined` after reporting an error. */
  #fields(lines: string[]): Headers | undefined {
    const fields: [string, string][] = [];
    for (const line of lines) {
      // RFC 9112 §5.2: a user agent replaces obs-fold with a space.
      if (line.startsWith(' ') || line.startsWith('\t')) {
        const last = fields.at(-1);
        if (last === undefined) {
          this.#fail(protocolError('a folded line with no field before it'));
          return undefined;
        }
        last[1] = `${last[1]} ${trimOws(line)}`.trimEnd();
        continue;
      }
      const colon = line.indexOf(':');
      const name = line.slice(0, Math.max(colon, 0));
      if (colon === -1 || !TOKEN.test(name)) {
        this.#fail(protocolError(`invalid header line "${printable(line)}"`));
        return undefined;
      }
      if (fields.length === this.#limits.maxHeaderCount) {
        this.#fail(
          new KubeError(
            'ERR_KUBE_TOO_MANY_HEADERS',
            `More than maxHeaderCount (${this.#limits.maxHeaderCount}) header lines`,
          ),
        );
        return undefined;
      }
      fields.push([name, trimOws(line.slice(colon + 1))]);
    }
    const headers = new Headers();
    for (const [name, value] of fields) {
      if (INVALID_VALUE.test(value)) {
        this.#fail(protocolError(`invalid byte in the value of header "${name}"`));
        return undefined;
      }
      headers.append(name, value);
    }
    return headers;
  }

  #complete(trailers: Headers): void {
    this.#state = ParserState.IDLE;
    this.#handler.onComplete(trailers, this.#keepAlive);
  }

  #fail(error: KubeError): void {
    this.#state = ParserState.FAILED;
    this.#sectionFill = 0;
    this.#handler.onError(error);
  }
}

function protocolError(what: string): KubeError {
  return new KubeError('ERR_KUBE_HTTP_PROTOCOL', `Invalid HTTP response: ${what}`);
}

/**
 * RFC 9110 §8.6: digits only; a list of identical values (a repeated header) is one value.
 */
function parseContentLength(value: string): number | undefined {
  const values = value.split(',').map((part) => part.trim());
  const first = values[0] ?? '';
  if (!/^[0-9]{1,15}$/.test(first) || values.some((other) => other !== first)) return undefined;
  return Number(first);
}

/** The comma-separated tokens of a header value, lowercased (`Connection`, `Transfer-Encoding`). */
function tokens(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== '');
}

function trimOws(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

function hexValue(byte: number): number | undefined {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return undefined;
}

function hexByte(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
