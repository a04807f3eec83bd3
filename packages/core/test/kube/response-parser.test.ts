import {describe, expect, it} from 'vitest';

import {KUBE_DEFAULTS, ResponseParser} from '../../src/kube/index.js';
import type {HttpLimits, KubeError, ResponseHead} from '../../src/kube/index.js';
import {bytes, concat, everySplit, text} from './helpers.js';

interface Parsed {
  heads: {status: number; statusText: string; version: string; headers: Record<string, string>}[];
  bodies: string[];
  completions: {trailers: Record<string, string>; keepAlive: boolean}[];
  upgrades: {status: number; rest: string}[];
  errors: KubeError[];
}

function record(head: ResponseHead): Parsed['heads'][number] {
  return {
    status: head.status,
    statusText: head.statusText,
    version: head.version,
    headers: Object.fromEntries(head.headers),
  };
}

/**
 * Parses the responses to `methods` (one each, in order) from `chunks`, then ends the stream
 * if `end`.
 */
function parse(
  chunks: readonly (Uint8Array | string)[],
  options: {
    methods?: string[];
    upgrade?: boolean;
    end?: boolean;
    limits?: Partial<HttpLimits>;
  } = {},
): Parsed {
  const methods = [...(options.methods ?? ['GET'])];
  const parsed: Parsed = {heads: [], bodies: [], completions: [], upgrades: [], errors: []};
  let body: Uint8Array[] = [];
  const parser: ResponseParser = new ResponseParser(
    {
      onHead: (head) => parsed.heads.push(record(head)),
      onUpgrade: (head, rest) => parsed.upgrades.push({status: head.status, rest: text(rest)}),
      onBody: (chunk) => body.push(chunk.slice()),
      onComplete: (trailers, keepAlive) => {
        parsed.bodies.push(text(concat(body)));
        body = [];
        parsed.completions.push({trailers: Object.fromEntries(trailers), keepAlive});
        const next = methods.shift();
        if (next !== undefined) parser.expect(next);
      },
      onError: (error) => parsed.errors.push(error),
    },
    options.limits,
  );
  parser.expect(methods.shift() ?? 'GET', {upgrade: options.upgrade === true});
  for (const chunk of chunks) parser.push(typeof chunk === 'string' ? bytes(chunk) : chunk);
  if (options.end === true) parser.end();
  return parsed;
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5;name=value;quoted="a;b"\r\nhello\r\n' +
  '1A\r\n, world and twenty letters\r\n' +
  '0;last\r\nX-Trailer: done\r\nX-Other:  two  \r\n\r\n';

describe('ResponseParser', () => {
  describe('Content-Length', () => {
    it('reads a body of Content-Length bytes and keeps the connection', () => {
      const parsed = parse(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello']);
      expect(parsed.heads).toEqual([
        {
          status: 200,
          statusText: 'OK',
          version: '1.1',
          headers: {'content-length': '5', 'x-a': '1'},
        },
      ]);
      expect(parsed.bodies).toEqual(['hello']);
      expect(parsed.completions).toEqual([{trailers: {}, keepAlive: true}]);
      expect(parsed.errors).toEqual([]);
    });

    it('completes an empty body at once', () => {
      const parsed = parse(['HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n']);
      expect(parsed.completions).toHaveLength(1);
      expect(parsed.bodies).toEqual(['']);
    });

    it('accepts a repeated identical Content-Length (RFC 9110 §8.6)', () => {
      const parsed = parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok']);
      expect(parsed.bodies).toEqual(['ok']);
    });

    it('parses sequential responses on one connection (keep-alive)', () => {
      const parsed = parse(
        [
          'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb',
        ],
        {methods: ['GET', 'GET']},
      );
      expect(parsed.heads.map((head) => head.status)).toEqual([200, 404]);
      expect(parsed.bodies).toEqual(['a', 'b']);
    });
  });

  describe('chunked', () => {
    it('reads chunks, skips extensions and collects trailers', () => {
      const parsed = parse([CHUNKED]);
      expect(parsed.bodies).toEqual(['hello, world and twenty letters']);
      expect(parsed.completions).toEqual([
        {trailers: {'x-trailer': 'done', 'x-other': 'two'}, keepAlive: true},
      ]);
      expect(parsed.errors).toEqual([]);
    });

    it('gives the same result for every split of the stream, down to single bytes', () => {
      const whole = parse([CHUNKED]);
      for (const chunks of everySplit(bytes(CHUNKED))) expect(parse(chunks)).toEqual(whole);
    });

    it('accepts an upper-case hex size, whitespace before an extension and no trailers', () => {
      const parsed = parse([
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA \t;ext\r\n0123456789\r\n0\r\n\r\n',
      ]);
      expect(parsed.bodies).toEqual(['0123456789']);
      expect(parsed.completions).toEqual([{trailers: {}, keepAlive: true}]);
    });

    it('ends a watch-like stream of many chunks, then reads the next response', () => {
      const events = ['{"type":"ADDED"}\n', '{"type":"DELETED"}\n'];
      const body = events.map((e) => `${e.length.toString(16)}\r\n${e}\r\n`).join('') + '0\r\n\r\n';
      const parsed = parse(
        [
          `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
          'HTTP/1.1 204 No Content\r\n\r\n',
        ],
        {methods: ['GET', 'DELETE']},
      );
      expect(parsed.bodies).toEqual([events.join(''), '']);
    });
  });

  describe('framing', () => {
    it('reads a body without length up to the end of the stream, and does not keep the connection', () => {
      const parsed = parse(['HTTP/1.1 200 OK\r\n\r\nuntil ', 'the end'], {end: true});
      expect(parsed.bodies).toEqual(['until the end']);
      expect(parsed.completions).toEqual([{trailers: {}, keepAlive: false}]);
    });

    it.each([
      ['a HEAD response', 'HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n'],
      ['a 204', 'GET', 'HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n'],
      ['a 304', 'GET', 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ])('gives %s no body (RFC 9112 §6.3)', (_, method, response) => {
      const parsed = parse([response], {methods: [method]});
      expect(parsed.bodies).toEqual(['']);
      expect(parsed.errors).toEqual([]);
    });

    it('skips interim 1xx responses', () => {
      const parsed = parse([
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n',
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      ]);
      expect(parsed.heads.map((head) => head.status)).toEqual([200]);
      expect(parsed.bodies).toEqual(['ok']);
    });

    it.each([
      [
        'Connection: close on 1.1',
        'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        false,
      ],
      ['1.0 without keep-alive', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
      [
        '1.0 with keep-alive',
        'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n',
        true,
      ],
      ['1.1 by default', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ])('keeps the connection per RFC 9112 §9.3: %s', (_, response, keepAlive) => {
      expect(parse([response]).completions).toEqual([{trailers: {}, keepAlive}]);
    });

    it('hands the bytes after a 101 to the new protocol', () => {
      const parsed = parse(
        [
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi',
        ],
        {upgrade: true},
      );
      expect(parsed.upgrades).toEqual([{status: 101, rest: '\x81\x02hi'}]);
      expect(parsed.heads).toEqual([]);
    });

    it('replaces obs-fold with a space (RFC 9112 §5.2) and trims whitespace', () => {
      const parsed = parse([
        'HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\nX-B:\tb \r\nContent-Length: 0\r\n\r\n',
      ]);
      expect(parsed.heads[0]?.headers).toMatchObject({'x-long': 'one two', 'x-b': 'b'});
    });

    it('accepts a status line without a reason phrase', () => {
      expect(parse(['HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n']).heads[0]).toMatchObject({
        status: 200,
        statusText: '',
      });
    });
  });

  describe('errors', () => {
    // [what, response, message]; every message starts with 'Invalid HTTP response: '.
    const PROTOCOL_ERRORS: [string, string, string][] = [
      ['HTTP/2 in the status line', 'HTTP/2 200 OK\r\n\r\n', 'invalid status line "HTTP/2 200 OK"'],
      ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', 'invalid status line "HTTP/1.1 20 OK"'],
      [
        'a bare CR in the reason',
        'HTTP/1.1 200 O\rK\r\n\r\n',
        'invalid status line "HTTP/1.1 200 O\\x0dK"',
      ],
      [
        'a header without colon',
        'HTTP/1.1 200 OK\r\nbroken\r\n\r\n',
        'invalid header line "broken"',
      ],
      [
        'a space before the colon',
        'HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n',
        'invalid header line "X-A : 1"',
      ],
      [
        'a NUL in a value',
        'HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n',
        'invalid byte in the value of header "X-A"',
      ],
      [
        'a fold first',
        'HTTP/1.1 200 OK\r\n folded\r\n\r\n',
        'a folded line with no field before it',
      ],
      [
        'Transfer-Encoding with Content-Length',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
        'both Transfer-Encoding and Content-Length',
      ],
      [
        'gzip transfer coding',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
        'unsupported Transfer-Encoding "gzip, chunked"',
      ],
      [
        'different Content-Lengths',
        'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
        'invalid Content-Length "1, 2"',
      ],
      [
        'a negative Content-Length',
        'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
        'invalid Content-Length "-1"',
      ],
      [
        'a 101 unasked',
        'HTTP/1.1 101 Switching Protocols\r\n\r\n',
        '101 Switching Protocols to a request that did not ask',
      ],
      [
        'a chunk size that is not hex',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        'invalid chunk size byte 0x7a',
      ],
      [
        'an empty chunk size',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n',
        'invalid chunk size byte 0x0d',
      ],
      [
        'a chunk size of 14 hex digits',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\n',
        'chunk size too large',
      ],
      [
        'a word after the chunk size',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n',
        'invalid byte 0x78 after a chunk size',
      ],
      [
        'a control byte in an extension',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\n',
        'invalid byte 0x01 in a chunk extension',
      ],
      [
        'a CR without LF after the chunk size',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\rX',
        'chunk size line not ended by CRLF',
      ],
      [
        'chunk data longer than its size',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
        'chunk data not followed by CRLF',
      ],
    ];

    it.each(PROTOCOL_ERRORS)('reports ERR_KUBE_HTTP_PROTOCOL for %s', (_, response, message) => {
      const parsed = parse([response]);
      expect(parsed.errors).toHaveLength(1);
      expect(parsed.errors[0]).toMatchObject({
        code: 'ERR_KUBE_HTTP_PROTOCOL',
        message: `Invalid HTTP response: ${message}`,
      });
    });

    it('reports bytes that arrive when no response is expected', () => {
      const parsed = parse(['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab']);
      expect(parsed.bodies).toEqual(['a']);
      expect(parsed.errors[0]).toMatchObject({
        code: 'ERR_KUBE_HTTP_PROTOCOL',
        message: 'Invalid HTTP response: bytes arrived when no response was expected',
      });
    });

    it('reports nothing more after the first error, and ignores later bytes', () => {
      const parsed = parse(['HTTP/9 oops\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']);
      expect(parsed.errors).toHaveLength(1);
      expect(parsed.heads).toEqual([]);
    });

    it.each([
      [
        'in the head',
        'HTTP/1.1 200 OK\r\nContent-Le',
        'Connection closed before the response head ended',
      ],
      [
        'in a Content-Length body',
        'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc',
        'Connection closed with 7 body bytes still to come',
      ],
      [
        'in a chunked body',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab',
        'Connection closed before the chunked body ended',
      ],
    ])('reports ERR_KUBE_CONNECTION_CLOSED when the stream ends %s', (_, response, message) => {
      const parsed = parse([response], {end: true});
      expect(parsed.errors[0]).toMatchObject({code: 'ERR_KUBE_CONNECTION_CLOSED', message});
    });
  });

  describe('limits', () => {
    const head = (size: number) => {
      // A head of exactly `size` bytes: status line, one padded header, blank line.
      const start = 'HTTP/1.1 200 OK\r\nX-Pad: ';
      const end = '\r\nContent-Length: 0\r\n\r\n';
      return start + 'p'.repeat(size - start.length - end.length) + end;
    };

    it('defaults maxHeaderBytes to 16 KiB, maxHeaderCount to 128 and maxChunkExtensionBytes to 4 KiB', () => {
      expect(KUBE_DEFAULTS).toMatchObject({
        maxHeaderBytes: 16_384,
        maxHeaderCount: 128,
        maxChunkExtensionBytes: 4_096,
      });
    });

    it('accepts a head of exactly maxHeaderBytes, in any split', () => {
      const response = head(200);
      for (const chunks of everySplit(bytes(response)))
        expect(parse(chunks, {limits: {maxHeaderBytes: 200}}).errors).toEqual([]);
    });

    it('reports ERR_KUBE_HEADERS_TOO_LARGE for a head one byte over maxHeaderBytes, in any split', () => {
      for (const chunks of everySplit(bytes(head(201)))) {
        const parsed = parse(chunks, {limits: {maxHeaderBytes: 200}});
        expect(parsed.errors).toEqual([
          expect.objectContaining({
            code: 'ERR_KUBE_HEADERS_TOO_LARGE',
            message: 'Response head exceeds maxHeaderBytes (200 bytes)',
          }),
        ]);
      }
    });

    it('reports ERR_KUBE_HEADERS_TOO_LARGE for an endless head without buffering past the limit', () => {
      const parsed = parse(['HTTP/1.1 200 OK\r\nX: ', 'x'.repeat(1000)], {
        limits: {maxHeaderBytes: 64},
      });
      expect(parsed.errors[0]).toMatchObject({code: 'ERR_KUBE_HEADERS_TOO_LARGE'});
    });

    it('applies maxHeaderBytes to the trailer section', () => {
      const response = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'t'.repeat(60)}\r\n\r\n`;
      expect(parse([response], {limits: {maxHeaderBytes: 64}}).errors[0]).toMatchObject({
        code: 'ERR_KUBE_HEADERS_TOO_LARGE',
        message: 'Trailer section exceeds maxHeaderBytes (64 bytes)',
      });
    });

    it('accepts maxHeaderCount header lines and reports ERR_KUBE_TOO_MANY_HEADERS for one more', () => {
      const withHeaders = (count: number) =>
        `HTTP/1.1 200 OK\r\n${Array.from({length: count - 1}, (_, i) => `X-${i}: v\r\n`).join('')}Content-Length: 0\r\n\r\n`;
      expect(parse([withHeaders(5)], {limits: {maxHeaderCount: 5}}).errors).toEqual([]);
      expect(parse([withHeaders(6)], {limits: {maxHeaderCount: 5}}).errors).toEqual([
        expect.objectContaining({
          code: 'ERR_KUBE_TOO_MANY_HEADERS',
          message: 'More than maxHeaderCount (5) header lines',
        }),
      ]);
    });

    it('accepts maxChunkExtensionBytes of extensions and reports ERR_KUBE_CHUNK_EXTENSIONS_TOO_LARGE for one more', () => {
      const withExtension = (length: number) =>
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1${';'.padEnd(length, 'e')}\r\nx\r\n0\r\n\r\n`;
      for (const chunks of everySplit(bytes(withExtension(16))))
        expect(parse(chunks, {limits: {maxChunkExtensionBytes: 16}}).bodies).toEqual(['x']);
      expect(parse([withExtension(17)], {limits: {maxChunkExtensionBytes: 16}}).errors).toEqual([
        expect.objectContaining({
          code: 'ERR_KUBE_CHUNK_EXTENSIONS_TOO_LARGE',
          message: 'Chunk extensions exceed maxChunkExtensionBytes (16 bytes)',
        }),
      ]);
    });
  });

  describe('#expect', () => {
    it('throws while a response is outstanding', () => {
      const parser = new ResponseParser({
        onHead: () => undefined,
        onUpgrade: () => undefined,
        onBody: () => undefined,
        onComplete: () => undefined,
        onError: () => undefined,
      });
      parser.expect('GET');
      expect(parser.idle).toBe(false);
      expect(() => parser.expect('GET')).toThrow('A response is still outstanding');
    });
  });
});
