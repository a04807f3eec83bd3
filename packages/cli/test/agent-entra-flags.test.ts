import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {CertificateAuthority, createKubeconfig, serializeKubeconfig} from '@porthole/core';
import type {KubeconfigCredential} from '@porthole/core';

import {runCli} from './in-process-cli.js';

const RELAY = ['--relay', 'ws://127.0.0.1:9', '--hybrid-connection', 'clusters/x'];
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '6256c85f-0aad-4d50-b960-e6e9b21efe35';

let dir: string;
let ca: CertificateAuthority;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-entra-flags-'));
  ca = await CertificateAuthority.create('entra-flags-ca');
});
afterEach(async () => {
  await rm(dir, {recursive: true, force: true});
});

/** A kubeconfig for the agent with the given credential (the apiserver is never reached). */
async function agentKubeconfig(credential: KubeconfigCredential): Promise<string> {
  const path = join(dir, 'kubeconfig');
  const config = createKubeconfig({
    name: 'agent',
    server: 'https://127.0.0.1:6443',
    certificateAuthorityPem: ca.certPem,
    credential,
  });
  await writeFile(path, serializeKubeconfig(config));
  return path;
}

function agentRun(args: string[]) {
  return runCli(['agent', 'run', ...RELAY, ...args], {PORTHOLE_SAS_KEY: 'k'});
}

describe('porthole agent run: Entra flags', () => {
  it.each([
    [['--entra-audience', API], '--entra-audience needs --entra-tenant'],
    [['--graph-client-id', API], '--graph-client-id needs --entra-tenant'],
    [['--role-assignments', 'assignments.json'], '--role-assignments needs --entra-tenant'],
    [
      ['--entra-tenant', 'contoso.onmicrosoft.com'],
      '--entra-tenant must be a tenant id (got "contoso.onmicrosoft.com")',
    ],
    [
      ['--entra-tenant', TENANT],
      "--entra-audience is required: the client id of the clusters' server app",
    ],
    [
      ['--entra-tenant', TENANT, '--entra-audience', API, '--entra-user-name', 'email'],
      '--entra-user-name must be oid or upn (got "email")',
    ],
    [
      ['--entra-tenant', TENANT, '--entra-audience', API, '--graph-client-id', API],
      '--graph-client-id needs its secret in PORTHOLE_GRAPH_CLIENT_SECRET (or --graph-client-secret)',
    ],
  ])('refuses %j', async (args, message) => {
    const result = await agentRun(['--sas-key-name', 'agent', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error ERR_CLI_USAGE: ${message}\nhint: Run "porthole agent run --help" for its options.\n`,
    );
  });

  it('refuses Entra sign-in when the agent has no token of its own for the apiserver', async () => {
    const client = await ca.issue({commonName: 'agent', hosts: [], usage: 'client'});
    const kubeconfig = await agentKubeconfig({
      clientCertificatePem: client.certPem,
      clientKeyPem: client.keyPem,
    });
    const result = await agentRun([
      '--sas-key-name',
      'agent',
      '--kubeconfig',
      kubeconfig,
      '--entra-tenant',
      TENANT,
      '--entra-audience',
      API,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error ERR_CLI_USAGE: Entra sign-in needs the agent's own bearer token for the apiserver, which impersonates callers\nhint: Run the agent with its service account, or give it a kubeconfig whose user has a token.\n",
    );
  });

  it('refuses role assignments it cannot use, before it serves', async () => {
    const kubeconfig = await agentKubeconfig({token: 'agent-token'});
    const assignments = join(dir, 'assignments.json');
    await writeFile(
      assignments,
      JSON.stringify([{principalId: TENANT, role: 'Owner', scope: {kind: 'cluster'}}]),
    );
    const result = await agentRun([
      '--sas-key-name',
      'agent',
      '--kubeconfig',
      kubeconfig,
      '--entra-tenant',
      TENANT,
      '--entra-audience',
      API,
      '--role-assignments',
      assignments,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error ERR_CLI_INPUT: Cannot use --role-assignments ${assignments}: Invalid role assignments: role assignment 0: role must be one of Viewer, Writer, Admin, Cluster Admin, Cluster User (got "Owner")\n`,
    );
  });
});
