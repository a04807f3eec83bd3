/**
 * The agent's control-plane client against a real local HTTP server that answers as the
 * relay would: the SAS token it sends, and how each failure becomes a stable code whose
 * message carries the relay's code and correlation id but never a key or a token.
 */
import {once} from 'node:events';
import {createServer} from 'node:http';
import type {IncomingMessage, Server, ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';

import {verifySasToken} from '@porthole/core/protocol';

import {ControlPlaneClient, tokenSource} from '../../src/index.js';

const KEY = 'old-key-c2VjcmV0LW9sZA==';
const NEW_KEY = 'new-key-c2VjcmV0LW5ldw==';
const CONFIGURATION = {
  cluster: 'prod',
  heartbeatIntervalSeconds: 30,
  credentialExpiresAt: '2031-01-01T00:00:00.000Z',
  entra: null,
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Answer = (seen: Seen, response: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});

/** A relay stand-in on 127.0.0.1:0 that answers each request with the next of `answers`. */
async function relay(...answers: Answer[]): Promise<{url: string; seen: Seen[]}> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      const answer = answers[seen.length - 1] ?? answers[answers.length - 1];
      answer?.(entry, response);
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen};
}

const json =
  (status: number, body: unknown): Answer =>
  (_, response) => {
    response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body));
  };

const refusal = (status: number, code: string, message: string, hint?: string): Answer =>
  json(status, {error: {code, message, ...(hint ? {hint} : {}), correlationId: 'corr-1'}});

function client(url: string, options: {timeoutMs?: number; correlationId?: string} = {}) {
  return new ControlPlaneClient({relay: url, cluster: 'prod', key: KEY, ...options});
}

/** Whether `token` was signed with `key` for the cluster's hybrid connection on 127.0.0.1. */
async function signedWith(token: string | undefined, key: string): Promise<boolean> {
  try {
    const parsed = await verifySasToken(token ?? '', {
      keyFor: (name) => (name === 'porthole-agent' ? key : undefined),
      now: Math.floor(Date.now() / 1000),
    });
    return parsed.resource === 'http://127.0.0.1/clusters/prod';
  } catch {
    return false;
  }
}

describe('ControlPlaneClient', () => {
  it("reads the configuration with a SAS token of the agent's key and a correlation id", async () => {
    const stub = await relay(json(200, CONFIGURATION));
    expect(await client(stub.url).configuration()).toEqual(CONFIGURATION);
    const [request] = stub.seen;
    expect(request).toMatchObject({
      method: 'GET',
      url: '/api/v1/clusters/prod/agent/configuration',
    });
    expect(await signedWith(request?.headers.authorization, KEY)).toBe(true);
    expect(request?.headers['x-ms-correlation-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends the correlation id it was given with every call', async () => {
    const stub = await relay(json(200, CONFIGURATION));
    const agent = client(stub.url, {correlationId: 'debug-run-7'});
    await agent.configuration();
    await agent.heartbeat({agentVersion: '0.1.0'});
    expect(stub.seen.map((seen) => seen.headers['x-ms-correlation-request-id'])).toEqual([
      'debug-run-7',
      'debug-run-7',
    ]);
  });

  it('posts a heartbeat as JSON and answers the configuration', async () => {
    const stub = await relay(json(200, {...CONFIGURATION, heartbeatIntervalSeconds: 5}));
    const report = {
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.33.1',
      totalNodeCount: 3,
      agentErrors: [],
    };
    expect(await client(stub.url).heartbeat(report)).toMatchObject({heartbeatIntervalSeconds: 5});
    expect(stub.seen[0]).toMatchObject({
      method: 'POST',
      url: '/api/v1/clusters/prod/agent/heartbeat',
      headers: {'content-type': 'application/json'},
    });
    expect(JSON.parse(stub.seen[0]?.body ?? '')).toEqual(report);
  });

  it('reads role assignments in core’s shape', async () => {
    const value = [
      {
        principalId: '1a2b3c4d-0000-4000-8000-000000000007',
        role: 'Viewer',
        scope: {kind: 'namespace', namespace: 'team-a'},
      },
      {
        principalId: '2b3c4d5e-0000-4000-8000-000000000001',
        role: 'Admin',
        scope: {kind: 'cluster'},
      },
    ];
    const stub = await relay(json(200, {value}));
    expect(await client(stub.url).roleAssignments()).toEqual(value);
  });

  describe('#rotateCredential', () => {
    const rotated = {
      relay: 'http://127.0.0.1',
      hybridConnection: 'clusters/prod',
      keyName: 'porthole-agent',
      key: NEW_KEY,
      expiresAt: '2031-04-01T00:00:00.000Z',
    };

    it('swaps the key for every later token: calls, and the listener’s', async () => {
      const stub = await relay(json(200, rotated), json(200, CONFIGURATION));
      const agent = client(stub.url);
      const listenerToken = tokenSource(agent.relayTarget);
      expect(await agent.rotateCredential()).toEqual(rotated);
      await agent.configuration();
      expect(await signedWith(stub.seen[0]?.headers.authorization, KEY)).toBe(true);
      expect(await signedWith(stub.seen[1]?.headers.authorization, NEW_KEY)).toBe(true);
      expect(await signedWith(await listenerToken(), NEW_KEY)).toBe(true);
    });

    it('keeps the key when the rotation fails', async () => {
      const stub = await relay(json(503, {}), json(200, CONFIGURATION));
      const agent = client(stub.url);
      await expect(agent.rotateCredential()).rejects.toMatchObject({
        code: 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
      });
      await agent.configuration();
      expect(await signedWith(stub.seen[1]?.headers.authorization, KEY)).toBe(true);
    });

    it('refuses a credential for another rule, and keeps its key', async () => {
      const stub = await relay(json(200, {...rotated, keyName: 'RootManageSharedAccessKey'}));
      const agent = client(stub.url);
      await expect(agent.rotateCredential()).rejects.toMatchObject({
        code: 'ERR_AGENT_CONTROL_PLANE_FAILED',
        message: `The control plane at ${stub.url} answered rotateCredential with something other than its API (keyName is not porthole-agent)`,
      });
      expect(await signedWith(await tokenSource(agent.relayTarget)(), KEY)).toBe(true);
    });
  });

  describe('errors', () => {
    it.each([401, 403])(
      'maps %i to ERR_AGENT_CREDENTIAL_REJECTED with the relay’s code, message and hint',
      async (status) => {
        const stub = await relay(
          refusal(
            status,
            status === 401 ? 'ERR_CONTROL_UNAUTHENTICATED' : 'ERR_CONTROL_FORBIDDEN',
            'The agent credential was refused: ExpiredKey: the key this token was signed with has expired',
            "Use the credential in the agent's Secret.",
          ),
        );
        const failure = client(stub.url).configuration();
        await expect(failure).rejects.toMatchObject({
          code: 'ERR_AGENT_CREDENTIAL_REJECTED',
          message: `The control plane refused the agent credential of cluster prod (${status} ${status === 401 ? 'ERR_CONTROL_UNAUTHENTICATED' : 'ERR_CONTROL_FORBIDDEN'}: The agent credential was refused: ExpiredKey: the key this token was signed with has expired; correlation id corr-1)`,
          hint: "Use the credential in the agent's Secret.",
        });
        const error = (await failure.catch((err: unknown) => err)) as Error & {hint: string};
        const token = stub.seen[0]?.headers.authorization ?? '';
        for (const text of [error.message, error.hint]) {
          expect(text).not.toContain(KEY);
          expect(text).not.toContain(token.slice(-20));
        }
      },
    );

    it('maps an unknown cluster to ERR_AGENT_CLUSTER_NOT_FOUND', async () => {
      const stub = await relay(
        refusal(404, 'ERR_CONTROL_CLUSTER_NOT_FOUND', 'There is no cluster named prod'),
      );
      await expect(client(stub.url).configuration()).rejects.toMatchObject({
        code: 'ERR_AGENT_CLUSTER_NOT_FOUND',
        message: `The control plane at ${stub.url} has no cluster prod (404 ERR_CONTROL_CLUSTER_NOT_FOUND: There is no cluster named prod; correlation id corr-1)`,
      });
    });

    it('maps a relay without a control plane to ERR_AGENT_CONTROL_PLANE_FAILED', async () => {
      const stub = await relay((_, response) => response.writeHead(404).end('Not Found'));
      const failure = client(stub.url).configuration();
      await expect(failure).rejects.toMatchObject({code: 'ERR_AGENT_CONTROL_PLANE_FAILED'});
      await expect(failure).rejects.toThrow(
        /^The control plane at http:\/\/127\.0\.0\.1:\d+ refused configuration \(404; correlation id [0-9a-f-]{36}\)$/,
      );
    });

    it('maps an invalid heartbeat to ERR_AGENT_CONTROL_PLANE_FAILED', async () => {
      const stub = await relay(
        refusal(400, 'ERR_CONTROL_INVALID_REQUEST', 'agentVersion must be a string'),
      );
      await expect(client(stub.url).heartbeat({agentVersion: '0.1.0'})).rejects.toMatchObject({
        code: 'ERR_AGENT_CONTROL_PLANE_FAILED',
        message: `The control plane at ${stub.url} refused heartbeat (400 ERR_CONTROL_INVALID_REQUEST: agentVersion must be a string; correlation id corr-1)`,
      });
    });

    it('maps 503 to ERR_AGENT_CONTROL_PLANE_UNREACHABLE', async () => {
      const stub = await relay(
        refusal(503, 'ERR_CONTROL_UNAVAILABLE', 'The control plane cannot answer right now'),
      );
      await expect(client(stub.url).configuration()).rejects.toMatchObject({
        code: 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
        message: `The control plane at ${stub.url} cannot answer configuration now (503 ERR_CONTROL_UNAVAILABLE: The control plane cannot answer right now; correlation id corr-1)`,
      });
    });

    it.each([
      [
        'not JSON',
        (_: Seen, response: ServerResponse) => response.end('<html>proxy</html>'),
        '200, not JSON',
      ],
      [
        'without an interval',
        json(200, {...CONFIGURATION, heartbeatIntervalSeconds: 0}),
        'heartbeatIntervalSeconds is not a whole number of seconds',
      ],
      [
        'with entra of the wrong shape',
        json(200, {...CONFIGURATION, entra: {tenants: 'x', issuers: [], audiences: []}}),
        'entra.tenants is not an array of strings',
      ],
    ])('maps an answer %s to ERR_AGENT_CONTROL_PLANE_FAILED', async (_, answer, why) => {
      const stub = await relay(answer);
      await expect(client(stub.url).configuration()).rejects.toMatchObject({
        code: 'ERR_AGENT_CONTROL_PLANE_FAILED',
        message: `The control plane at ${stub.url} answered configuration with something other than its API (${why})`,
      });
    });

    it('maps a refused connection to ERR_AGENT_CONTROL_PLANE_UNREACHABLE naming ECONNREFUSED', async () => {
      const stub = await relay(json(200, CONFIGURATION));
      const server = servers.pop();
      server?.close();
      if (server) await once(server, 'close');
      await expect(client(stub.url).configuration()).rejects.toMatchObject({
        code: 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
        message: `Cannot reach the control plane at ${stub.url} (ECONNREFUSED)`,
      });
    });

    it('maps a silent relay to ERR_AGENT_CONTROL_PLANE_UNREACHABLE after timeoutMs', async () => {
      const stub = await relay(() => undefined);
      await expect(client(stub.url, {timeoutMs: 200}).configuration()).rejects.toMatchObject({
        code: 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
        message: `Cannot reach the control plane at ${stub.url} (timeout: 200ms)`,
      });
    });

    it('refuses a cluster name no cluster can have, before any call', () => {
      expect(
        () => new ControlPlaneClient({relay: 'http://127.0.0.1:1', cluster: '../x', key: KEY}),
      ).toThrow(expect.objectContaining({code: 'ERR_AGENT_CLUSTER_NOT_FOUND'}));
    });
  });
});
