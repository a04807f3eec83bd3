import {describe, expect, it} from 'vitest';

import {encodeRequest} from '../../src/kube/index.js';
import {text} from './helpers.js';

describe('encodeRequest', () => {
  it('writes the request line, Host, the headers and a blank line', () => {
    const encoded = encodeRequest(
      {method: 'GET', target: '/api/v1/pods?limit=5', headers: {Accept: 'application/json'}},
      {host: 'kubernetes'},
    );
    expect(text(encoded)).toBe(
      'GET /api/v1/pods?limit=5 HTTP/1.1\r\nHost: kubernetes\r\nAccept: application/json\r\n\r\n',
    );
  });

  it('sends a body with its Content-Length, a string as UTF-8', () => {
    const encoded = encodeRequest(
      {method: 'POST', target: '/x', body: '{"name":"ü"}'},
      {host: 'h', connection: 'close'},
    );
    expect(text(encoded)).toBe(
      'POST /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 13\r\n\r\n{"name":"Ã¼"}',
    );
  });

  it('says Content-Length: 0 for an empty POST, PUT or PATCH, and nothing for a GET', () => {
    expect(text(encodeRequest({method: 'DELETE', target: '/x'}, {host: 'h'}))).toBe(
      'DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n',
    );
    expect(text(encodeRequest({method: 'PATCH', target: '/x'}, {host: 'h'}))).toContain(
      'Content-Length: 0\r\n',
    );
  });

  // [what, request, message]; every message starts with 'Invalid request: '.
  it.each([
    ['a method with a space', {method: 'GET /', target: '/'}, 'method "GET /" is not a token'],
    [
      'a target with CRLF',
      {method: 'GET', target: '/a\r\nX: y'},
      'target "/a\\x0d\\x0aX: y" is not an absolute path of visible ASCII',
    ],
    [
      'a target with a space',
      {method: 'GET', target: '/a b'},
      'target "/a b" is not an absolute path of visible ASCII',
    ],
    [
      'an absolute URL',
      {method: 'GET', target: 'http://x/'},
      'target "http://x/" is not an absolute path of visible ASCII',
    ],
    [
      'a header name with a colon',
      {method: 'GET', target: '/', headers: {'X:Y': '1'}},
      'header name "X:Y" is not a token',
    ],
    [
      'Content-Length',
      {method: 'GET', target: '/', headers: {'content-length': '1'}},
      'header "content-length" is set by the client itself',
    ],
    [
      'Host',
      {method: 'GET', target: '/', headers: {Host: 'evil'}},
      'header "Host" is set by the client itself',
    ],
  ])('throws ERR_KUBE_REQUEST_INVALID for %s', (_, request, message) => {
    expect(() => encodeRequest(request, {host: 'h'})).toThrow(
      expect.objectContaining({
        code: 'ERR_KUBE_REQUEST_INVALID',
        message: `Invalid request: ${message}`,
      }),
    );
  });

  it('refuses a header value with CRLF without quoting the value, which may be a credential', () => {
    const secret = 'Bearer secret-token\r\nImpersonate-User: admin';
    let error: unknown;
    try {
      encodeRequest({method: 'GET', target: '/', headers: {Authorization: secret}}, {host: 'h'});
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'ERR_KUBE_REQUEST_INVALID',
      message: 'Invalid request: the value of header "Authorization" has a control byte',
    });
    expect((error as Error).message).not.toContain('secret');
  });
});
