import {describe, expect, it} from 'vitest';

import {
  formatListenerCommand,
  formatRelayCommand,
  parseListenerCommand,
  parseRelayCommand,
} from '../../../src/protocol/index.js';

describe('parseListenerCommand', () => {
  it('reads a response with a numeric or a string status code', () => {
    const command = {
      response: {
        requestId: 'r1',
        statusCode: 201,
        statusDescription: 'Created',
        responseHeaders: {'content-type': 'text/plain'},
        body: true,
      },
    };
    expect(parseListenerCommand(formatListenerCommand(command))).toEqual({
      kind: 'response',
      response: command.response,
    });
    expect(parseListenerCommand('{"response":{"requestId":"r1","statusCode":"200"}}')).toEqual({
      kind: 'response',
      response: {requestId: 'r1', statusCode: 200, body: false},
    });
  });

  it('reads renewToken, and reports unknown commands by name', () => {
    expect(parseListenerCommand('{"renewToken":{"token":"SharedAccessSignature x"}}')).toEqual({
      kind: 'renewToken',
      token: 'SharedAccessSignature x',
    });
    expect(parseListenerCommand('{"dance":{}}')).toEqual({kind: 'unknown', name: 'dance'});
  });

  it.each([
    ['nope', 'the command is not JSON'],
    ['[1]', 'the command is not a JSON object'],
    ['{}', 'the command must have exactly one key (got 0)'],
    ['{"a":{},"b":{}}', 'the command must have exactly one key (got 2)'],
    ['{"response":1}', '"response" must be an object'],
    ['{"response":{"statusCode":200}}', '"response.requestId" must be a non-empty string'],
    [
      '{"response":{"requestId":"r","statusCode":99}}',
      '"response.statusCode" must be an HTTP status (got 99)',
    ],
    [
      '{"response":{"requestId":"r","statusCode":"2xx"}}',
      '"response.statusCode" must be an HTTP status (got "2xx")',
    ],
    [
      '{"response":{"requestId":"r","statusCode":502}}',
      '"response.statusCode" 502 is reserved for the relay',
    ],
    [
      '{"response":{"requestId":"r","statusCode":504}}',
      '"response.statusCode" 504 is reserved for the relay',
    ],
    [
      '{"response":{"requestId":"r","statusCode":200,"body":"yes"}}',
      '"response.body" must be true or false',
    ],
    [
      '{"response":{"requestId":"r","statusCode":200,"responseHeaders":{"a":1}}}',
      '"response.responseHeaders.a" must be a string',
    ],
    ['{"renewToken":{"token":""}}', '"renewToken.token" must be a non-empty string'],
  ])('rejects %s with ERR_HC_MESSAGE_INVALID', (text, reason) => {
    expect(() => parseListenerCommand(text)).toThrow(
      expect.objectContaining({
        code: 'ERR_HC_MESSAGE_INVALID',
        message: `Invalid Hybrid Connections command: ${reason}`,
      }),
    );
  });
});

describe('parseRelayCommand', () => {
  it('round-trips accept and request commands', () => {
    const accept = {
      address: 'ws://r/$hc/h?sb-hc-action=accept&sb-hc-id=1',
      id: '1',
      connectHeaders: {'Sec-WebSocket-Key': 'k'},
      remoteEndpoint: {address: '127.0.0.1', port: 5},
    };
    expect(parseRelayCommand(formatRelayCommand({accept}))).toEqual({kind: 'accept', accept});
    const request = {
      address: 'ws://r/$hc/h?sb-hc-action=request&sb-hc-id=2',
      id: '2',
      requestTarget: '/h/a',
      method: 'GET',
      requestHeaders: {},
      body: false,
      remoteEndpoint: {address: '::1', port: 6},
    };
    expect(parseRelayCommand(formatRelayCommand({request}))).toEqual({kind: 'request', request});
    expect(parseRelayCommand('{"request":{"address":"ws://r","id":"3"}}')).toEqual({
      kind: 'request',
      request: {address: 'ws://r', id: '3'},
    });
  });

  it('rejects an accept without an address', () => {
    expect(() => parseRelayCommand('{"accept":{"id":"1"}}')).toThrow(
      expect.objectContaining({
        code: 'ERR_HC_MESSAGE_INVALID',
        message: 'Invalid Hybrid Connections command: "accept.address" must be a non-empty string',
      }),
    );
  });
});
