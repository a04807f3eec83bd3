// Property tests of the response parser (STYLE §16; undici's split-data fuzz).
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';

import {ResponseParser} from '../../src/kube/index.js';
import type {KubeError} from '../../src/kube/index.js';
import {bytes, concat, split, text} from './helpers.js';

interface Response {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  framing:
    | {kind: 'length'}
    | {kind: 'chunked'; cuts: number[]; extensions: string[]; trailers: [string, string][]};
}

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,11}$/).filter(
  // Names the parser gives meaning to are set by the framing alone.
  (name) => !['content-length', 'transfer-encoding', 'connection'].includes(name.toLowerCase()),
);
const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
const extension = fc.stringMatching(/^(;[a-z]{1,5}(=([a-z0-9]{1,5}|"[ a-z;]{0,5}"))?)*$/);

const responseArbitrary: fc.Arbitrary<Response> = fc.record({
  status: fc.constantFrom(200, 201, 400, 403, 404, 500, 503),
  headers: fc.array(fc.tuple(token, value), {maxLength: 5}),
  body: fc.uint8Array({maxLength: 200}),
  framing: fc.oneof(
    fc.constant({kind: 'length' as const}),
    fc.record({
      kind: fc.constant('chunked' as const),
      cuts: fc.array(fc.nat(), {maxLength: 6}),
      extensions: fc.array(extension, {maxLength: 8}),
      trailers: fc.array(fc.tuple(token, value), {maxLength: 3}),
    }),
  ),
});

function encode(response: Response): Uint8Array {
  const head = [`HTTP/1.1 ${response.status} Reason\r\n`];
  for (const [name, fieldValue] of response.headers) head.push(`${name}: ${fieldValue}\r\n`);
  const {framing, body} = response;
  if (framing.kind === 'length') {
    head.push(`Content-Length: ${body.length}\r\n\r\n`);
    return concat([bytes(head.join('')), body]);
  }
  head.push('Transfer-Encoding: chunked\r\n\r\n');
  const parts: Uint8Array[] = [bytes(head.join(''))];
  const chunks = split(body, framing.cuts).filter((chunk) => chunk.length > 0);
  chunks.forEach((chunk, i) => {
    parts.push(bytes(`${chunk.length.toString(16)}${framing.extensions[i] ?? ''}\r\n`), chunk);
    parts.push(bytes('\r\n'));
  });
  const trailers = framing.trailers.map(([name, fieldValue]) => `${name}: ${fieldValue}\r\n`);
  parts.push(bytes(`0${framing.extensions.at(-1) ?? ''}\r\n${trailers.join('')}\r\n`));
  return concat(parts);
}

function run(chunks: Uint8Array[], count: number) {
  const results: {status: number; body: string; trailers: [string, string][]}[] = [];
  const errors: KubeError[] = [];
  let status = 0;
  let body: Uint8Array[] = [];
  let expected = count - 1;
  const parser: ResponseParser = new ResponseParser({
    onHead: (head) => (status = head.status),
    onUpgrade: () => {
      throw new Error('no upgrade was asked for');
    },
    onBody: (chunk) => body.push(chunk.slice()),
    onComplete: (trailers) => {
      results.push({status, body: text(concat(body)), trailers: [...trailers]});
      body = [];
      if (expected-- > 0) parser.expect('GET');
    },
    onError: (error) => errors.push(error),
  });
  parser.expect('GET');
  for (const chunk of chunks) parser.push(chunk);
  return {results, errors};
}

describe('ResponseParser (properties)', () => {
  it('parses any chunking of a valid sequence of responses to the same bodies and trailers', () => {
    fc.assert(
      fc.property(
        fc.array(responseArbitrary, {minLength: 1, maxLength: 5}),
        fc.array(fc.nat(), {maxLength: 40}),
        (responses, cuts) => {
          const stream = concat(responses.map(encode));
          const {results, errors} = run(split(stream, cuts), responses.length);
          expect(errors).toEqual([]);
          expect(results).toEqual(
            responses.map((response) => ({
              status: response.status,
              body: text(response.body),
              trailers:
                response.framing.kind === 'chunked'
                  ? [...new Headers(response.framing.trailers)]
                  : [],
            })),
          );
        },
      ),
      {numRuns: 300},
    );
  });

  it('never throws on random or corrupted bytes, and reports at most one error', () => {
    fc.assert(
      fc.property(
        fc.array(responseArbitrary, {minLength: 1, maxLength: 3}),
        fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255})), {maxLength: 8}),
        fc.array(fc.nat(), {maxLength: 20}),
        (responses, corruptions, cuts) => {
          const stream = concat(responses.map(encode));
          for (const [at, byte] of corruptions) stream[at % stream.length] = byte;
          const {errors} = run(split(stream, cuts), responses.length);
          expect(errors.length).toBeLessThanOrEqual(1);
        },
      ),
      {numRuns: 300},
    );
  });
});
