/**
 * What the CLI adds to core's control-plane client (core's own tests cover the calls): the
 * credential it asks for is a client proxy's, `--role` goes to the relay unchecked, and an
 * answer that is not the control plane's is `ERR_CLI_RELAY_UNREACHABLE` with a hint.
 */
import {once} from 'node:events';
import {createServer} from 'node:http';
import type {IncomingMessage, Server, ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';

import {ControlPlaneClient} from '../src/control-plane/control-plane-client.js';

let server: Server | undefined;

afterEach(async () => {
  if (server === undefined) return;
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  server = undefined;
});

/** A control plane on 127.0.0.1:0 that answers with `handle`, and the bodies it was sent. */
async function controlPlane(
  handle: (response: ServerResponse) => void,
): Promise<{client: ControlPlaneClient; url: string; bodies: string[]}> {
  const bodies: string[] = [];
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      bodies.push(body);
      handle(response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {client: new ControlPlaneClient({relay: url, env: {}}), url, bodies};
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body));

describe('ControlPlaneClient', () => {
  it('asks for a client proxy’s credential, with the method given', async () => {
    const relay = await controlPlane((response) =>
      json(response, 200, {hybridConnectionConfig: {}, kubeconfigs: []}),
    );
    await relay.client.listClusterUserCredential('demo', 'Token');
    expect(relay.bodies).toEqual(['{"authenticationMethod":"Token","clientProxy":true}']);
  });

  it('sends --role as typed and passes the refusal on with its code and hint', async () => {
    const relay = await controlPlane((response) =>
      json(response, 400, {
        error: {
          code: 'ERR_CONTROL_INVALID_REQUEST',
          message: '"role" must be one of Viewer, Writer, Admin, Cluster Admin, Cluster User',
          hint: 'Fix the role.',
          correlationId: 'c-1',
        },
      }),
    );
    await expect(
      relay.client.createRoleAssignment('demo', {principalId: 'p', role: 'Owner'}),
    ).rejects.toMatchObject({
      code: 'ERR_CONTROL_INVALID_REQUEST',
      message: '"role" must be one of Viewer, Writer, Admin, Cluster Admin, Cluster User',
      hint: 'Fix the role.',
      status: 400,
    });
    expect(relay.bodies).toEqual(['{"principalId":"p","role":"Owner"}']);
  });

  it('answers ERR_CLI_RELAY_UNREACHABLE for something that is not a control plane', async () => {
    const relay = await controlPlane((response) =>
      response.writeHead(200, {'content-type': 'text/html'}).end('<html></html>'),
    );
    await expect(relay.client.metadata()).rejects.toMatchObject({
      code: 'ERR_CLI_RELAY_UNREACHABLE',
      message: `Invalid answer: GET /api/v1/metadata got HTTP 200 without JSON; is ${relay.url} a Porthole relay?`,
      hint: 'Check the relay URL.',
    });
  });
});
