/**
 * `porthole agent run --cluster`: the command lines it refuses (each naming the flag at
 * fault, never a key), and what it says when the control plane of a real relay refuses it.
 */
import {randomUUID} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {CertificateAuthority, createKubeconfig, serializeKubeconfig} from '@porthole/core';
import {RelayServer, SqliteRelayStore} from '@porthole/relay';

import {runCli} from './in-process-cli.js';

const HINT = 'hint: Run "porthole agent run --help" for its options.\n';
const KEY = 'agent-key-Zm9yLXRlc3RzLW9ubHk=';

let dir: string;
let kubeconfig: string;
let relay: RelayServer;
let store: SqliteRelayStore;
let relayUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-agent-run-flags-'));
  const ca = await CertificateAuthority.create('agent-run-flags-ca');
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    serializeKubeconfig(
      createKubeconfig({
        name: 'agent',
        server: 'https://127.0.0.1:6443',
        certificateAuthorityPem: ca.certPem,
        credential: {token: 'agent-token'},
      }),
    ),
  );
  store = SqliteRelayStore.open(':memory:');
  await store.createCluster({
    name: 'prod',
    id: randomUUID(),
    createdBy: 'test',
    createdAt: new Date().toISOString(),
    rules: [
      {
        entity: 'clusters/prod',
        name: 'porthole-agent',
        primaryKey: KEY,
        secondaryKey: undefined,
        rights: ['Listen'],
      },
    ],
  });
  relay = new RelayServer({store, log: () => undefined});
  relayUrl = (await relay.listen({host: '127.0.0.1', port: 0})).url;
});

afterAll(async () => {
  await relay.close();
  await store.close();
  await rm(dir, {recursive: true, force: true});
});

const agentRun = (args: string[], env: NodeJS.ProcessEnv = {PORTHOLE_AGENT_KEY: KEY}) =>
  runCli(['agent', 'run', ...args], env);

describe('porthole agent run --cluster', () => {
  const base = () => ['--relay', 'https://relay.example', '--cluster', 'prod'];

  it.each([
    [['--cluster', 'prod'], '--relay is required: the relay URL, e.g. https://relay.example'],
    [
      ['--hybrid-connection', 'clusters/prod'],
      '--hybrid-connection does not go with --cluster: the agent credential is PORTHOLE_AGENT_KEY or --agent-key-file',
    ],
    [
      ['--sas-key-name', 'porthole-agent'],
      '--sas-key-name does not go with --cluster: the agent credential is PORTHOLE_AGENT_KEY or --agent-key-file',
    ],
    [
      ['--entra-tenant', '72f988bf-86f1-41af-91ab-2d7cd011db47'],
      '--entra-tenant does not go with --cluster: the control plane says which Entra tokens to accept and which role assignments apply',
    ],
    [
      ['--role-assignments', 'assignments.json'],
      '--role-assignments does not go with --cluster: the control plane says which Entra tokens to accept and which role assignments apply',
    ],
    [
      ['--credential-secret', 'porthole-agent'],
      '--credential-secret must be NAMESPACE/NAME (got "porthole-agent")',
    ],
    [
      ['--credential-secret', 'a/b', '--tunnel', 'tcp'],
      '--tunnel must be auto, mux or websocket (got "tcp")',
    ],
    [
      ['--credential-secret', 'a/b', '--graph-client-id', '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'],
      '--graph-client-id needs its secret in PORTHOLE_GRAPH_CLIENT_SECRET (or --graph-client-secret)',
    ],
  ])('refuses %j', async (args, message) => {
    const withRelay = args[0] === '--cluster' ? args : [...base(), ...args];
    const result = await agentRun(withRelay);
    expect(result).toMatchObject({code: 2, stderr: `error ERR_CLI_USAGE: ${message}\n${HINT}`});
  });

  it('needs a key, from PORTHOLE_AGENT_KEY or --agent-key-file but not both', async () => {
    expect(await agentRun([...base(), '--credential-secret', 'a/b'], {})).toMatchObject({
      code: 2,
      stderr: `error ERR_CLI_USAGE: the agent credential is required: its key in PORTHOLE_AGENT_KEY, or --agent-key-file FILE\n${HINT}`,
    });
    expect(await agentRun([...base(), '--agent-key-file', join(dir, 'key')])).toMatchObject({
      code: 2,
      stderr: `error ERR_CLI_USAGE: give the agent key either in PORTHOLE_AGENT_KEY or with --agent-key-file, not both\n${HINT}`,
    });
  });

  it('keeps rotated keys in the key file it reads, not in a Secret too', async () => {
    const args = [...base(), '--agent-key-file', 'key', '--credential-secret', 'a/b'];
    expect(await agentRun(args, {})).toMatchObject({
      code: 2,
      stderr: `error ERR_CLI_USAGE: --credential-secret does not go with --agent-key-file: rotated keys are kept in the file\n${HINT}`,
    });
  });

  it('outside a cluster, needs a place for rotated keys', async () => {
    expect(await agentRun([...base(), '--kubeconfig', kubeconfig])).toMatchObject({
      code: 2,
      stderr: `error ERR_CLI_USAGE: outside a cluster, --cluster needs --agent-key-file FILE or --credential-secret NAMESPACE/NAME, to keep the keys it rotates to\n${HINT}`,
    });
  });

  it('refuses a name no cluster can have', async () => {
    const result = await agentRun([
      '--relay',
      relayUrl,
      '--cluster',
      'no/such',
      '--kubeconfig',
      kubeconfig,
      '--credential-secret',
      'a/b',
    ]);
    expect(result).toMatchObject({
      code: 2,
      stderr: `error ERR_CLI_USAGE: --cluster must be a cluster name: 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit (got "no/such")\n${HINT}`,
    });
  });

  it('the hybrid-connection mode refuses the flags of --cluster', async () => {
    const result = await agentRun([
      '--relay',
      'ws://127.0.0.1:9',
      '--hybrid-connection',
      'clusters/x',
      '--sas-key-name',
      'agent',
      '--agent-key-file',
      'key',
    ]);
    expect(result).toMatchObject({
      code: 2,
      stderr: `error ERR_CLI_USAGE: --agent-key-file goes with --cluster\n${HINT}`,
    });
  });

  it('exits 1 naming a key file it cannot read', async () => {
    const missing = join(dir, 'missing-key');
    expect(await agentRun([...base(), '--agent-key-file', missing], {})).toMatchObject({
      code: 1,
      stderr: `error ERR_CLI_INPUT: Cannot read --agent-key-file ${missing}: ENOENT\n`,
    });
  });

  it('exits 1 with ERR_AGENT_CREDENTIAL_REJECTED when the control plane refuses the key', async () => {
    const keyFile = join(dir, 'wrong-key');
    await writeFile(keyFile, 'd3Jvbmcta2V5', {mode: 0o600});
    const result = await agentRun(
      [
        '--relay',
        relayUrl,
        '--cluster',
        'prod',
        '--kubeconfig',
        kubeconfig,
        '--agent-key-file',
        keyFile,
      ],
      {},
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error ERR_AGENT_CREDENTIAL_REJECTED: The control plane refused the agent credential of cluster prod \(401 ERR_CONTROL_UNAUTHENTICATED: The agent credential was refused: InvalidSignature: .*; correlation id [0-9a-f-]{36}\)\nhint: /,
    );
    expect(result.stderr).not.toContain('d3Jvbmcta2V5');
  });

  it('exits 1 with ERR_AGENT_CLUSTER_NOT_FOUND for a cluster the relay does not have', async () => {
    const result = await agentRun([
      '--relay',
      relayUrl,
      '--cluster',
      'staging',
      '--kubeconfig',
      kubeconfig,
      '--credential-secret',
      'porthole-system/porthole-agent',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error ERR_AGENT_CLUSTER_NOT_FOUND: The control plane at http:\/\/127\.0\.0\.1:\d+ has no cluster staging \(404 ERR_CONTROL_CLUSTER_NOT_FOUND: There is no cluster named staging; correlation id [0-9a-f-]{36}\)\nhint: /,
    );
  });
});
