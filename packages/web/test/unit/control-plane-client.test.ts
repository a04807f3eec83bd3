import {once} from 'node:events';
import {createServer} from 'node:http';
import type {IncomingMessage, Server, ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';

import {ControlPlaneClient} from '../../src/api/control-plane-client.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A control plane on 127.0.0.1:0 that answers with `handle` and records what it was asked. */
async function controlPlane(
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{url: string; requests: {method: string; url: string; authorization: string}[]}> {
  const requests: {method: string; url: string; authorization: string}[] = [];
  server = createServer((request, response) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization ?? '',
    });
    handle(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const {port} = server.address() as AddressInfo;
  return {url: `http://127.0.0.1:${port}`, requests};
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body));

describe('ControlPlaneClient', () => {
  it("lists clusters with the user's bearer token", async () => {
    const relay = await controlPlane((_request, response) => json(response, 200, {value: []}));
    const client = new ControlPlaneClient({relay: `${relay.url}/`, token: async () => 'token-1'});
    await expect(client.listClusters()).resolves.toEqual([]);
    expect(relay.requests).toEqual([
      {method: 'GET', url: '/api/v1/clusters', authorization: 'Bearer token-1'},
    ]);
  });

  it('percent-encodes names in paths and asks credentials for AAD', async () => {
    const relay = await controlPlane((_request, response) =>
      json(response, 200, {hybridConnectionConfig: {}, kubeconfigs: []}),
    );
    const client = new ControlPlaneClient({relay: relay.url, token: async () => 't'});
    await client.listClusterUserCredential('a b');
    expect(relay.requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/v1/clusters/a%20b/listClusterUserCredential',
    });
  });

  it("keeps the control plane's code, message, hint and correlation id", async () => {
    const relay = await controlPlane((_request, response) =>
      json(response, 403, {
        error: {
          code: 'ERR_CONTROL_FORBIDDEN',
          message: 'Deleting cluster demo needs the relay Administrator role',
          hint: 'Ask a relay administrator.',
          correlationId: 'c-42',
        },
      }),
    );
    const client = new ControlPlaneClient({relay: relay.url, token: async () => 't'});
    await expect(client.deleteCluster('demo')).rejects.toMatchObject({
      code: 'ERR_CONTROL_FORBIDDEN',
      message: 'Deleting cluster demo needs the relay Administrator role',
      status: 403,
      hint: 'Ask a relay administrator.',
      correlationId: 'c-42',
    });
  });

  it('answers ERR_WEB_RESPONSE_INVALID for something that is not a control plane', async () => {
    const relay = await controlPlane((_request, response) =>
      response.writeHead(200, {'content-type': 'text/html'}).end('<html></html>'),
    );
    const client = new ControlPlaneClient({relay: relay.url, token: async () => 't'});
    await expect(client.listClusters()).rejects.toMatchObject({
      code: 'ERR_WEB_RESPONSE_INVALID',
      message: `Invalid answer: GET /api/v1/clusters got HTTP 200 without JSON; is ${relay.url} a Porthole relay?`,
    });
    const list = new ControlPlaneClient({relay: relay.url, token: async () => 't'});
    server?.removeAllListeners('request');
    server?.on('request', (_request: IncomingMessage, response: ServerResponse) =>
      json(response, 200, {clusters: []}),
    );
    await expect(list.listClusters()).rejects.toMatchObject({
      code: 'ERR_WEB_RESPONSE_INVALID',
      message: 'Invalid answer: GET /api/v1/clusters has no "value" array',
    });
  });

  it('answers ERR_WEB_RELAY_UNREACHABLE when nothing listens, and when no answer comes in time', async () => {
    const relay = await controlPlane(() => undefined);
    const silent = new ControlPlaneClient({
      relay: relay.url,
      token: async () => 't',
      timeoutMs: 200,
    });
    await expect(silent.listClusters()).rejects.toMatchObject({
      code: 'ERR_WEB_RELAY_UNREACHABLE',
      message: `Cannot reach the relay at ${relay.url} (no answer in 200 ms)`,
    });
    server?.closeAllConnections();
    server?.close();
    await once(server as Server, 'close');
    const closed = new ControlPlaneClient({relay: relay.url, token: async () => 't'});
    await expect(closed.listClusters()).rejects.toMatchObject({
      code: 'ERR_WEB_RELAY_UNREACHABLE',
      message: `Cannot reach the relay at ${relay.url} (network error)`,
    });
  });

  it('never sends a request without a token: the sign-in error comes first', async () => {
    const relay = await controlPlane((_request, response) => json(response, 200, {value: []}));
    const error = Object.assign(new Error('No one is signed in: sign in again'), {
      code: 'ERR_WEB_SIGN_IN_REQUIRED',
    });
    const client = new ControlPlaneClient({relay: relay.url, token: () => Promise.reject(error)});
    await expect(client.listClusters()).rejects.toBe(error);
    expect(relay.requests).toEqual([]);
  });
});
