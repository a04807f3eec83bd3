/**
 * MSAL's network client for the CLI against real sockets: answers passed on as MSAL expects
 * them (any status, JSON bodies parsed, plain lower-case headers), failures thrown as MSAL's
 * `network_error` with their cause, and a forward proxy's refusal kept for the caller.
 */
import {once} from 'node:events';
import {createServer} from 'node:http';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {createServer as createNetServer} from 'node:net';
import type {AddressInfo, Server, Socket} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';

import {AuthError} from '@azure/msal-node';

import {MsalNetworkClient} from '../src/sign-in/msal-network.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, 'close');
  }
});

/** An HTTP server on 127.0.0.1 answering with `handle`; what it received, in order. */
async function identityProvider(
  handle: (request: IncomingMessage, body: string, response: ServerResponse) => void,
): Promise<{
  url: string;
  received: {method: string; headers: IncomingMessage['headers']; body: string}[];
}> {
  const received: {method: string; headers: IncomingMessage['headers']; body: string}[] = [];
  const server = createServer((request, response) => {
    sockets.add(request.socket);
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({method: request.method ?? '', headers: request.headers, body});
      handle(request, body, response);
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received};
}

/** A raw TCP server on 127.0.0.1 that runs `onConnection` for each connection. */
async function rawServer(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createNetServer((socket) => {
    sockets.add(socket);
    onConnection(socket);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('MsalNetworkClient', () => {
  describe('#sendGetRequestAsync', () => {
    it('returns the status, the parsed JSON body and the headers as a plain lower-case object', async () => {
      const idp = await identityProvider((_, __, response) => {
        response
          .writeHead(200, {'Content-Type': 'application/json', 'X-Ms-Request-Id': 'req-1'})
          .end(JSON.stringify({issuer: 'https://idp.example/t/v2.0'}));
      });
      const answer = await new MsalNetworkClient({}).sendGetRequestAsync(
        `${idp.url}/t/v2.0/.well-known/openid-configuration`,
        {headers: {'x-client-sku': 'msal.js.node'}},
      );
      expect(answer).toEqual({
        status: 200,
        body: {issuer: 'https://idp.example/t/v2.0'},
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'x-ms-request-id': 'req-1',
        }) as unknown,
      });
      expect(Object.getPrototypeOf(answer.headers)).toBe(Object.prototype);
      expect(idp.received).toMatchObject([
        {method: 'GET', headers: {'x-client-sku': 'msal.js.node'}, body: ''},
      ]);
    });

    it('rejects with network_error when no answer comes within the timeout', async () => {
      const port = await rawServer(() => undefined);
      const err = await new MsalNetworkClient({})
        .sendGetRequestAsync(`http://127.0.0.1:${port}/slow`, {}, 50)
        .catch((caught: unknown) => caught);
      expect(err).toBeInstanceOf(AuthError);
      expect(err).toMatchObject({
        errorCode: 'network_error',
        errorMessage: `GET http://127.0.0.1:${port}/slow failed: The operation was aborted due to timeout`,
        cause: {name: 'TimeoutError'},
      });
    });
  });

  describe('#sendPostRequestAsync', () => {
    it('posts the form and returns an error status with its JSON body, without throwing', async () => {
      const idp = await identityProvider((_, __, response) => {
        response
          .writeHead(400, {'content-type': 'application/json; charset=utf-8'})
          .end(JSON.stringify({error: 'invalid_grant', error_description: 'AADSTS50126'}));
      });
      const answer = await new MsalNetworkClient({}).sendPostRequestAsync(`${idp.url}/t/token`, {
        headers: {'content-type': 'application/x-www-form-urlencoded;charset=utf-8'},
        body: 'grant_type=password&username=dev',
        correlationId: 'c0ffee',
      });
      expect(answer).toMatchObject({
        status: 400,
        body: {error: 'invalid_grant', error_description: 'AADSTS50126'},
      });
      expect(idp.received).toMatchObject([
        {
          method: 'POST',
          headers: {'content-type': 'application/x-www-form-urlencoded;charset=utf-8'},
          body: 'grant_type=password&username=dev',
        },
      ]);
    });

    it('turns a body that is not JSON into an OAuth error naming the status and content type', async () => {
      const idp = await identityProvider((request, _, response) => {
        const status = request.url === '/gateway' ? 502 : request.url === '/portal' ? 200 : 403;
        response.writeHead(status, {'content-type': 'text/html'}).end('<h1>Nope</h1>');
      });
      const network = new MsalNetworkClient({});
      expect(await network.sendPostRequestAsync(`${idp.url}/gateway`, {body: 'a=b'})).toMatchObject(
        {
          status: 502,
          body: {
            error: 'server_error',
            error_description: 'The identity provider answered 502 with text/html, not JSON',
          },
        },
      );
      expect(await network.sendPostRequestAsync(`${idp.url}/denied`)).toMatchObject({
        status: 403,
        body: {error: 'client_error'},
      });
      expect(await network.sendGetRequestAsync(`${idp.url}/portal`)).toMatchObject({
        status: 200,
        body: {error: 'unknown_error'},
      });
    });

    it('rejects with network_error, the failure as its cause, when the connection drops', async () => {
      const port = await rawServer((socket) => socket.destroy());
      const network = new MsalNetworkClient({});
      const err = await network
        .sendPostRequestAsync(`http://127.0.0.1:${port}/t/token?x=1`, {body: 'a=b'})
        .catch((caught: unknown) => caught);
      expect(err).toBeInstanceOf(AuthError);
      expect(err).toMatchObject({
        errorCode: 'network_error',
        errorMessage: expect.stringMatching(
          new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/t/token failed: `),
        ) as unknown,
        cause: {message: 'fetch failed'},
      });
      expect(network.proxyFailure(err)).toBeUndefined();
      // Kept for MSAL's reports that leave it out; other failures are not blamed on it.
      const what = (err as AuthError).errorMessage;
      expect(network.unanswered({errorCode: 'endpoints_resolution_error'})).toBe(what);
      expect(network.unanswered(err)).toBe(what);
      expect(network.unanswered({errorCode: 'invalid_grant'})).toBeUndefined();
    });
  });

  describe('#proxyFailure', () => {
    it('finds the proxy’s refusal behind the error, and remembers it for errors that lost it', async () => {
      const proxyPort = await rawServer((socket) => {
        socket.once('data', () =>
          socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'),
        );
      });
      const network = new MsalNetworkClient({
        HTTP_PROXY: `http://porthole:msal-net-pw-5@127.0.0.1:${proxyPort}`,
        PORTHOLE_PROXY_LOOPBACK: '1',
      });
      const err = await network
        .sendGetRequestAsync('http://127.0.0.1:9/t/v2.0/.well-known/openid-configuration')
        .catch((caught: unknown) => caught);
      const refusal = {
        code: 'ERR_TUNNEL_PROXY_REFUSED',
        status: 407,
        proxy: `http://127.0.0.1:${proxyPort}`,
      };
      expect(err).toMatchObject({
        errorCode: 'network_error',
        errorMessage: `GET http://127.0.0.1:9/t/v2.0/.well-known/openid-configuration failed: The proxy http://127.0.0.1:${proxyPort} refused CONNECT 127.0.0.1:9: 407 Proxy Authentication Required`,
      });
      expect(network.proxyFailure(err)).toMatchObject(refusal);
      // MSAL reports a failed authority discovery without its cause.
      expect(network.proxyFailure(new Error('endpoints_resolution_error'))).toMatchObject(refusal);
      expect(JSON.stringify(err) + (err as Error).message).not.toContain('msal-net-pw-5');
    });
  });
});
