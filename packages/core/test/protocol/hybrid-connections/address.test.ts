import {describe, expect, it} from 'vitest';

import {formatRendezvousAddress, parseHcTarget} from '../../../src/protocol/index.js';

describe('parseHcTarget', () => {
  it('splits reserved parameters from the query and keeps the rest as received', () => {
    expect(
      parseHcTarget(
        '/$hc/hyco/sfx?x=1&sb-hc-action=connect&y=a%20b&sb-hc-token=SharedAccessSignature+sr%3Dx',
      ),
    ).toEqual({
      rawPath: 'hyco/sfx',
      segments: ['hyco', 'sfx'],
      action: 'connect',
      id: undefined,
      token: 'SharedAccessSignature sr=x',
      statusCode: undefined,
      statusDescription: undefined,
      appQuery: 'x=1&y=a%20b',
    });
  });

  it('defaults the action to connect, decodes segments and ignores a trailing slash', () => {
    expect(parseHcTarget('/$hc/clusters%2Fprod/a%20b/')).toMatchObject({
      rawPath: 'clusters%2Fprod/a%20b',
      segments: ['clusters/prod', 'a b'],
      action: 'connect',
      appQuery: '',
    });
  });

  it('reads a rejection from an accept address', () => {
    expect(
      parseHcTarget(
        '/$hc/hyco?sb-hc-action=accept&sb-hc-id=abc&sb-hc-statusCode=403&sb-hc-statusDescription=Not+you',
      ),
    ).toMatchObject({
      action: 'accept',
      id: 'abc',
      statusCode: '403',
      statusDescription: 'Not you',
    });
  });

  it.each([
    [
      '/hyco?sb-hc-action=listen',
      404,
      'Invalid Hybrid Connections address: the path does not start with /$hc/',
    ],
    [
      '/$hc/',
      404,
      'Invalid Hybrid Connections address: the path has an empty, "." or ".." segment',
    ],
    [
      '/$hc/a/../b',
      404,
      'Invalid Hybrid Connections address: the path has an empty, "." or ".." segment',
    ],
    [
      '/$hc/a%zz',
      404,
      'Invalid Hybrid Connections address: the path is not percent-encoded correctly',
    ],
    [
      '/$hc/hyco?sb-hc-action=delete',
      400,
      'Invalid Hybrid Connections address: unknown sb-hc-action "delete"',
    ],
    [
      '/$hc/hyco?sb-hc-id=%zz',
      400,
      'Invalid Hybrid Connections address: the query is not percent-encoded correctly',
    ],
  ])('rejects %s with ERR_HC_ADDRESS_INVALID and status %i', (target, status, message) => {
    expect(() => parseHcTarget(target)).toThrow(
      expect.objectContaining({code: 'ERR_HC_ADDRESS_INVALID', status, message}),
    );
  });
});

describe('formatRendezvousAddress', () => {
  it('puts the sender’s query first and the reserved parameters last', () => {
    expect(
      formatRendezvousAddress({
        origin: 'wss://relay.example',
        rawPath: 'hyco/sfx',
        appQuery: 'x=1',
        action: 'accept',
        id: 'a b',
      }),
    ).toBe('wss://relay.example/$hc/hyco/sfx?x=1&sb-hc-action=accept&sb-hc-id=a%20b');
    expect(
      formatRendezvousAddress({
        origin: 'ws://127.0.0.1:9',
        rawPath: 'hyco',
        appQuery: '',
        action: 'request',
        id: '7',
      }),
    ).toBe('ws://127.0.0.1:9/$hc/hyco?sb-hc-action=request&sb-hc-id=7');
  });
});
