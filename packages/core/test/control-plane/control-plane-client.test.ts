/// <reference types="node" />
// The client against a real control plane stand-in on 127.0.0.1:0. `node:http` runs under
// Deno's Node compatibility too, so these sockets are real on both runners; each test closes
// its server itself (the Deno runner has no hooks).
import {once} from 'node:events';
import {createServer} from 'node:http';
import type {IncomingMessage, ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {describe, expect, it} from 'vitest';

import {ControlPlaneClient, ControlPlaneError} from '../../src/control-plane/index.js';
import type {ControlPlaneErrors} from '../../src/control-plane/index.js';
import {PortholeError} from '../../src/errors.js';

/** A caller's own codes for the failures that are not the control plane's answer. */
const errors: ControlPlaneErrors = {
  unreachable: (message, cause) => new PortholeError('ERR_TEST_UNREACHABLE', message, {cause}),
  invalid: (message) => new PortholeError('ERR_TEST_INVALID', message),
};

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface ControlPlane {
  url: string;
  requests: Recorded[];
  /** Answers no more: every connection closed, the port free. */
  close: () => Promise<void>;
}

/** A control plane on 127.0.0.1:0 that answers with `handle` and records what it was asked. */
async function withControlPlane(
  handle: (request: IncomingMessage, response: ServerResponse) => void,
  test: (relay: ControlPlane) => Promise<void>,
): Promise<void> {
  const requests: Recorded[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      });
      handle(request, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const {port} = server.address() as AddressInfo;
  let open = true;
  const close = async () => {
    if (!open) return;
    open = false;
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  try {
    await test({url: `http://127.0.0.1:${port}`, requests, close});
  } finally {
    await close();
  }
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body));

describe('ControlPlaneClient', () => {
  it("lists clusters with the user's bearer token", async () => {
    await withControlPlane(
      (_request, response) => json(response, 200, {value: []}),
      async (relay) => {
        const client = new ControlPlaneClient({
          relay: `${relay.url}/`,
          token: async () => 'token-1',
          errors,
        });
        expect(client.relay).toBe(relay.url);
        await expect(client.listClusters()).resolves.toEqual([]);
        expect(relay.requests).toMatchObject([{method: 'GET', url: '/api/v1/clusters'}]);
        expect(relay.requests[0]?.headers.authorization).toBe('Bearer token-1');
      },
    );
  });

  it('percent-encodes names in paths and asks credentials for AAD unless told otherwise', async () => {
    await withControlPlane(
      (_request, response) => json(response, 200, {hybridConnectionConfig: {}, kubeconfigs: []}),
      async (relay) => {
        const client = new ControlPlaneClient({relay: relay.url, token: async () => 't', errors});
        await client.listClusterUserCredential('a b');
        await client.listClusterUserCredential('demo', 'Token', {clientProxy: true});
        expect(relay.requests).toMatchObject([
          {
            method: 'POST',
            url: '/api/v1/clusters/a%20b/listClusterUserCredential',
            body: '{"authenticationMethod":"AAD"}',
          },
          {
            method: 'POST',
            url: '/api/v1/clusters/demo/listClusterUserCredential',
            body: '{"authenticationMethod":"Token","clientProxy":true}',
          },
        ]);
        expect(relay.requests[0]?.headers['content-type']).toBe('application/json');
      },
    );
  });

  it('asks metadata and console settings without a token, and sends the correlation id', async () => {
    const metadata = {relay: 'https://relay.example', apiVersion: 'v1', authentication: null};
    await withControlPlane(
      (_request, response) => json(response, 200, metadata),
      async (relay) => {
        const client = new ControlPlaneClient({
          relay: relay.url,
          token: async () => 't',
          correlationId: 'c-7',
          errors,
        });
        await expect(client.metadata()).resolves.toEqual(metadata);
        await expect(client.consoleSettings()).resolves.toEqual(metadata);
        await client.getCluster('demo');
        expect(relay.requests.map((request) => request.url)).toEqual([
          '/api/v1/metadata',
          '/console/config.json',
          '/api/v1/clusters/demo',
        ]);
        expect(relay.requests.map((request) => request.headers.authorization)).toEqual([
          undefined,
          undefined,
          'Bearer t',
        ]);
        for (const request of relay.requests)
          expect(request.headers['x-ms-correlation-request-id']).toBe('c-7');
      },
    );
  });

  it('calls through the fetch it is given', async () => {
    await withControlPlane(
      (_request, response) => response.writeHead(204).end(),
      async (relay) => {
        const asked: string[] = [];
        const client = new ControlPlaneClient({
          relay: relay.url,
          errors,
          fetch: (input, init) => {
            asked.push(`${init?.method ?? 'GET'} ${typeof input === 'string' ? input : '?'}`);
            return fetch(input, init);
          },
        });
        await expect(client.deleteRoleAssignment('demo', 'a/1')).resolves.toBeUndefined();
        expect(asked).toEqual([`DELETE ${relay.url}/api/v1/clusters/demo/roleAssignments/a%2F1`]);
      },
    );
  });

  it("keeps the control plane's code, message, hint and correlation id", async () => {
    await withControlPlane(
      (_request, response) =>
        json(response, 403, {
          error: {
            code: 'ERR_CONTROL_FORBIDDEN',
            message: 'Deleting cluster demo needs the relay Administrator role',
            hint: 'Ask a relay administrator.',
            correlationId: 'c-42',
          },
        }),
      async (relay) => {
        const client = new ControlPlaneClient({relay: relay.url, token: async () => 't', errors});
        const error = await client.deleteCluster('demo').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ControlPlaneError);
        expect(error).toMatchObject({
          code: 'ERR_CONTROL_FORBIDDEN',
          message: 'Deleting cluster demo needs the relay Administrator role',
          status: 403,
          hint: 'Ask a relay administrator.',
          correlationId: 'c-42',
        });
      },
    );
  });

  it('reports an answer that is not the control plane’s with the caller’s invalid error', async () => {
    let answer: (response: ServerResponse) => void = (response) =>
      response.writeHead(200, {'content-type': 'text/html'}).end('<html></html>');
    await withControlPlane(
      (_request, response) => answer(response),
      async (relay) => {
        const client = new ControlPlaneClient({relay: relay.url, token: async () => 't', errors});
        await expect(client.listClusters()).rejects.toMatchObject({
          code: 'ERR_TEST_INVALID',
          message: `Invalid answer: GET /api/v1/clusters got HTTP 200 without JSON; is ${relay.url} a Porthole relay?`,
        });
        answer = (response) => json(response, 200, {clusters: []});
        await expect(client.listRoleAssignments('demo')).rejects.toMatchObject({
          code: 'ERR_TEST_INVALID',
          message: 'Invalid answer: GET /api/v1/clusters/demo/roleAssignments has no "value" array',
        });
        answer = (response) => json(response, 502, {error: {code: 'Bad', message: 'gateway'}});
        await expect(client.createCluster('demo')).rejects.toMatchObject({
          code: 'ERR_TEST_INVALID',
          message:
            'Invalid answer: POST /api/v1/clusters got HTTP 502 without a control-plane error',
        });
      },
    );
  });

  it('reports no answer in time, and nothing listening, with the caller’s unreachable error', async () => {
    await withControlPlane(
      () => undefined,
      async (relay) => {
        const silent = new ControlPlaneClient({relay: relay.url, errors, timeoutMs: 200});
        await expect(silent.listClusters()).rejects.toMatchObject({
          code: 'ERR_TEST_UNREACHABLE',
          message: `Cannot reach the relay at ${relay.url}: no answer in 200 ms`,
        });
        await relay.close();
        const closed = new ControlPlaneClient({relay: relay.url, errors});
        const error = await closed.metadata().catch((caught: unknown) => caught);
        // Node names the socket error's code (ECONNREFUSED); Deno gives its message.
        expect(error).toMatchObject({code: 'ERR_TEST_UNREACHABLE', cause: expect.any(Error)});
        expect((error as Error).message).toMatch(
          new RegExp(
            `^Cannot reach the relay at ${relay.url}: (ECONNREFUSED$|.*Connection refused)`,
          ),
        );
      },
    );
  });

  it("passes the caller's own abort on as it came", async () => {
    const controller = new AbortController();
    await withControlPlane(
      () => controller.abort(),
      async (relay) => {
        const client = new ControlPlaneClient({relay: relay.url, token: async () => 't', errors});
        await expect(client.getCluster('demo', controller.signal)).rejects.toMatchObject({
          name: 'AbortError',
        });
      },
    );
  });

  it('never sends a request without a token: the sign-in error comes first', async () => {
    await withControlPlane(
      (_request, response) => json(response, 200, {value: []}),
      async (relay) => {
        const error = Object.assign(new Error('No one is signed in: sign in again'), {
          code: 'ERR_WEB_SIGN_IN_REQUIRED',
        });
        const client = new ControlPlaneClient({
          relay: relay.url,
          token: () => Promise.reject(error),
          errors,
        });
        await expect(client.listClusters()).rejects.toBe(error);
        expect(relay.requests).toEqual([]);
      },
    );
  });
});
