/**
 * `porthole agent run --cluster` as a process, against a relay with a control plane and the
 * real test cluster: it reports heartbeats, rotates keys that live 6 s, keeping each new one in
 * its 0600 key file, without ever printing one, and applies the relay's new sign-in settings
 * without a restart.
 */
import {randomBytes, randomUUID} from 'node:crypto';
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {AGENT_VERSION} from '@porthole/agent-bridge';
import {RelayServer, SqliteRelayStore} from '@porthole/relay';
import type {ControlPlaneOptions} from '@porthole/relay';
import type {LineProcess} from '@porthole/testing';

import {writeAgentKubeconfig} from './agent-kubeconfig.js';
import {porthole} from './processes.js';

const cluster = inject('cluster');
const KEY = randomBytes(32).toString('base64');

let dir: string;
let store: SqliteRelayStore;
let relay: RelayServer;
let relayUrl: string;
let agent: LineProcess;
let keyFile: string;
/** The relay's control-plane settings: a test changes them as an operator would. */
const controlPlane: ControlPlaneOptions = {
  entra: undefined,
  administrators: [],
  limits: {agentCredentialSeconds: 6, heartbeatIntervalMs: 1000, rotatedKeyGraceMs: 1000},
};

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${agent.stderr}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-cli-agent-cp-'));
  store = SqliteRelayStore.open(':memory:');
  relay = new RelayServer({
    store,
    log: () => undefined,
    controlPlane,
  });
  relayUrl = (await relay.listen({host: '127.0.0.1', port: 0})).url;
  await store.createCluster({
    name: 'cli-cp',
    id: randomUUID(),
    createdBy: 'e2e',
    createdAt: new Date().toISOString(),
    rules: [
      {
        entity: 'clusters/cli-cp',
        name: 'porthole-agent',
        primaryKey: KEY,
        secondaryKey: undefined,
        rights: ['Listen'],
        primaryKeyExpiresAt: new Date(Date.now() + 6000).toISOString(),
      },
    ],
  });
  keyFile = join(dir, 'agent-key');
  await writeFile(keyFile, KEY, {mode: 0o600});
  // The agent's own bearer token, as in a pod: Entra sign-in impersonates callers with it.
  const agentKubeconfig = join(dir, 'agent.kubeconfig');
  await writeAgentKubeconfig(agentKubeconfig, cluster, cluster.token);
  agent = porthole(
    [
      'agent',
      'run',
      '--relay',
      relayUrl,
      '--cluster',
      'cli-cp',
      '--kubeconfig',
      agentKubeconfig,
      '--agent-key-file',
      keyFile,
    ],
    {},
  );
});

afterAll(async () => {
  await agent.stop();
  await relay.close();
  await store.close();
  await rm(dir, {recursive: true, force: true});
});

describe('porthole agent run --cluster', () => {
  it('listens on the cluster’s hybrid connection and reports heartbeats', async () => {
    await agent.line(/^listening on ws:\/\/127\.0\.0\.1:\d+\/\$hc\/clusters\/cli-cp$/);
    const record = await eventually(async () => {
      const found = await store.getCluster('cli-cp');
      return found?.agentVersion === undefined ? undefined : found;
    }, 'a heartbeat');
    expect(record).toMatchObject({
      agentVersion: AGENT_VERSION,
      kubernetesVersion: expect.stringMatching(/^v1\.\d+\.\d+/) as string,
      totalNodeCount: expect.any(Number) as number,
      agentErrors: [],
    });
  });

  it('rotates its key before it expires and keeps the new one in its 0600 key file', async () => {
    await eventually(async () => {
      const rule = await store.getAuthorizationRule('clusters/cli-cp', 'porthole-agent');
      const kept = (await readFile(keyFile, 'utf8')).trim();
      return rule && rule.primaryKey !== KEY && kept === rule.primaryKey ? true : undefined;
    }, 'a rotated key in the key file');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(agent.stderr).toContain('"event":"agent.credential-rotated"');
    expect(agent.stderr).not.toContain(KEY);
    expect(agent.stderr).not.toContain((await readFile(keyFile, 'utf8')).trim());
  });

  it("applies the relay's new sign-in settings at the next heartbeat, without a restart", async () => {
    const changed = (accepting: string) =>
      eventually(
        () =>
          Promise.resolve(
            agent.stderr
              .split('\n')
              .some(
                (line) =>
                  line.includes('"event":"agent.sign-in-changed"') &&
                  line.includes(`"accepting":"${accepting}"`),
              ) || undefined,
          ),
        `agent.sign-in-changed to ${accepting}`,
      );
    // As a relay restarted with Entra sign-in would answer the agent's heartbeats.
    controlPlane.entra = {
      tenants: ['72f988bf-0000-4000-8000-000000000001'],
      issuers: ['https://login.microsoftonline.com/72f988bf-0000-4000-8000-000000000001/v2.0'],
      audiences: ['api://porthole-e2e'],
    };
    await changed('entra');
    expect(agent.stderr).toContain('"audiences":["api://porthole-e2e"]');
    controlPlane.entra = undefined;
    await changed('pass-through');
    expect(agent.stderr).not.toContain('agent.sign-in-change-failed');
    expect(agent.exited).toBe(false);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.stderr).toContain('agent: draining (SIGTERM)');
  });
});
