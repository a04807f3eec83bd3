import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {createKubeconfig, serializeKubeconfig} from '@porthole/core';

import {kubectl} from '../../src/index.js';

const cluster = inject('cluster');
const admin = (args: string[], input?: string) =>
  kubectl(cluster.kubeconfigPath, args, input === undefined ? {} : {input});

let scratch: string;

/** kubectl with a kubeconfig whose only credential is `token`, as a user would write it. */
async function withToken(token: string, args: string[]) {
  const path = join(scratch, 'token.kubeconfig');
  const config = createKubeconfig({
    name: 'demo-user',
    server: cluster.server,
    certificateAuthorityPem: cluster.caPem,
    credential: {token},
  });
  await writeFile(path, serializeKubeconfig(config), {mode: 0o600});
  return kubectl(path, args);
}

describe('the service-account token walkthrough', () => {
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'porthole-sa-test-'));
  });

  afterAll(async () => {
    await rm(scratch, {recursive: true, force: true});
    await admin(['delete', 'clusterrolebinding', 'demo-user-binding', '--ignore-not-found']);
    await admin(['delete', 'serviceaccount', 'demo-user', '--ignore-not-found']);
  });

  it('gives a token from a service-account-token Secret that kubectl can use, and refuses a bad one', async () => {
    expect(await admin(['create', 'serviceaccount', 'demo-user', '-n', 'default'])).toMatchObject({
      code: 0,
    });
    expect(
      await admin([
        'create',
        'clusterrolebinding',
        'demo-user-binding',
        '--clusterrole',
        'cluster-admin',
        '--serviceaccount',
        'default:demo-user',
      ]),
    ).toMatchObject({code: 0});
    const secret = `apiVersion: v1
kind: Secret
metadata:
  name: demo-user-secret
  namespace: default
  annotations:
    kubernetes.io/service-account.name: demo-user
type: kubernetes.io/service-account-token
`;
    expect(await admin(['apply', '-f', '-'], secret)).toMatchObject({code: 0});

    // The token controller in kube-controller-manager fills the Secret in moments.
    let token = '';
    for (let attempt = 0; attempt < 100 && token === ''; attempt++) {
      const result = await admin([
        'get',
        'secret',
        'demo-user-secret',
        '-n',
        'default',
        '-o',
        'jsonpath={.data.token}',
      ]);
      token = Buffer.from(result.stdout, 'base64').toString('utf8');
      if (token === '') await sleep(100);
    }
    expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    const allowed = await withToken(token, ['get', 'pods', '-A']);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).not.toMatch(/error/i);

    const whoami = await withToken(token, [
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    expect(whoami.stdout).toBe('system:serviceaccount:default:demo-user');

    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    for (const bad of [forged, 'not-a-token']) {
      const refused = await withToken(bad, ['get', 'pods', '-A']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('You must be logged in to the server (Unauthorized)');
    }
  });
});
