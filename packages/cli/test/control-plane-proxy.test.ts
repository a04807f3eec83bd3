/**
 * The CLI's control-plane client behind a forward proxy: its calls go through the proxy its
 * environment names (a real tinyproxy; the relay stand-in behind a gate only the proxy passes),
 * and a proxy's refusal keeps the proxy's own code and hint rather than blaming the relay.
 */
import {once} from 'node:events';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {startForwardProxy, startProxyOnlyGate} from '@porthole/testing';
import type {ProxyOnlyGate, TestForwardProxy} from '@porthole/testing';

import {ControlPlaneClient} from '../src/control-plane/control-plane-client.js';

const PASSWORD = 'cp-client-pw-31';
const METADATA = {relay: 'http://relay.example', apiVersion: '2020-01-01', authentication: null};

let relay: ReturnType<typeof createServer>;
let proxy: TestForwardProxy;
let gate: ProxyOnlyGate;

beforeEach(async () => {
  relay = createServer((_, response) => {
    response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(METADATA));
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  proxy = await startForwardProxy({basicAuth: {user: 'cli', password: PASSWORD}});
  gate = await startProxyOnlyGate((relay.address() as AddressInfo).port, proxy);
});

afterEach(async () => {
  await gate.close();
  await proxy.stop();
  relay.closeAllConnections();
  relay.close();
  await once(relay, 'close');
});

const client = (password: string) =>
  new ControlPlaneClient({
    relay: `http://127.0.0.1:${gate.port}`,
    env: {
      HTTP_PROXY: proxy.url.replace('http://', `http://cli:${password}@`),
      PORTHOLE_PROXY_LOOPBACK: '1',
    },
  });

describe('ControlPlaneClient', () => {
  it('calls the control plane through the proxy its environment names', async () => {
    expect(await client(PASSWORD).metadata()).toEqual(METADATA);
    expect(proxy.connects()).toEqual([`127.0.0.1:${gate.port}`]);
    expect(gate.refused).toBe(0);
  });

  it('rejects with the proxy’s ERR_TUNNEL_PROXY_REFUSED when it refuses the credentials', async () => {
    const err = await client('not-it')
      .metadata()
      .catch((caught: unknown) => caught);
    expect(err).toMatchObject({
      code: 'ERR_TUNNEL_PROXY_REFUSED',
      proxy: proxy.url,
      hint: 'The proxy refused the user name or password in HTTP_PROXY: check them (percent-encode @, : and / in them).',
    });
    expect([401, 407]).toContain((err as {status: number}).status);
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('not-it');
  });
});
