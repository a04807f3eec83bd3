import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Writable} from 'node:stream';
import {describe, expect, it} from 'vitest';

import {CertificateAuthority} from '@porthole/core';

import {Cli} from '../src/index.js';

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

const RELAY = ['--relay', 'ws://127.0.0.1:9', '--hybrid-connection', 'clusters/x'];
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API = '6256c85f-0aad-4d50-b960-e6e9b21efe35';

async function agentRun(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new Captured();
  const stderr = new Captured();
  const code = await new Cli(['agent', 'run', ...RELAY, ...args], {
    cwd: process.cwd(),
    stdout,
    stderr,
    env: {PORTHOLE_SAS_KEY: 'k', ...env},
  }).run();
  return {code, stdout: stdout.text, stderr: stderr.text};
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
      "--entra-audience is required: the client id of the cluster's server app",
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
    const dir = await mkdtemp(join(tmpdir(), 'porthole-entra-flags-'));
    try {
      const ca = await CertificateAuthority.create('entra-flags-ca');
      const client = await ca.issue({commonName: 'agent', hosts: [], usage: 'client'});
      const kubeconfig = join(dir, 'kubeconfig');
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      await writeFile(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          'current-context': 'c',
          contexts: [{name: 'c', context: {cluster: 'k', user: 'u'}}],
          clusters: [
            {
              name: 'k',
              cluster: {
                server: 'https://127.0.0.1:6443',
                'certificate-authority-data': b64(ca.certPem),
              },
            },
          ],
          users: [
            {
              name: 'u',
              user: {
                'client-certificate-data': b64(client.certPem),
                'client-key-data': b64(client.keyPem),
              },
            },
          ],
        }),
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
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "error ERR_CLI_USAGE: Entra sign-in needs the agent's own bearer token for the apiserver, which impersonates callers\nhint: Run the agent with its service account, or give it a kubeconfig whose user has a token.\n",
      );
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });

  it('refuses role assignments it cannot use, before it serves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'porthole-entra-flags-'));
    try {
      const ca = await CertificateAuthority.create('entra-flags-ca');
      const kubeconfig = join(dir, 'kubeconfig');
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      await writeFile(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          'current-context': 'c',
          contexts: [{name: 'c', context: {cluster: 'k', user: 'u'}}],
          clusters: [
            {
              name: 'k',
              cluster: {
                server: 'https://127.0.0.1:6443',
                'certificate-authority-data': b64(ca.certPem),
              },
            },
          ],
          users: [{name: 'u', user: {token: 'agent-token'}}],
        }),
      );
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
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });
});
