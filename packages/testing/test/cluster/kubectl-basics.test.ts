import {describe, expect, inject, it} from 'vitest';

import {kubectl} from '../../src/index.js';

const cluster = inject('cluster');

describe('the test cluster, seen by kubectl', () => {
  it('lists the built-in namespaces', async () => {
    const result = await kubectl(cluster.kubeconfigPath, ['get', 'ns', '-o', 'name']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(
      expect.arrayContaining([
        'namespace/default',
        'namespace/kube-node-lease',
        'namespace/kube-public',
        'namespace/kube-system',
      ]),
    );
  });

  it('reports the pinned Kubernetes version', async () => {
    const result = await kubectl(cluster.kubeconfigPath, ['version', '-o', 'json']);
    const version = JSON.parse(result.stdout) as {serverVersion: {gitVersion: string}};
    expect(version.serverVersion.gitVersion).toBe(cluster.version);
    expect(cluster.version).toMatch(/^v1\.(3[4-9]|[4-9]\d)\.\d+$/);
  });

  it('has kwok nodes that are Ready at the address of kwok’s node server', async () => {
    const result = await kubectl(cluster.kubeconfigPath, [
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}',
    ]);
    expect(result.stdout.trim().split('\n')).toEqual(
      cluster.nodeNames.map((name) => `${name} True 127.0.0.1`),
    );
  });

  it('writes an audit log entry naming the user of each request', async () => {
    const {readFile} = await import('node:fs/promises');
    await kubectl(cluster.kubeconfigPath, [
      'get',
      'configmaps',
      '-n',
      'kube-public',
      'audit-probe',
      '--ignore-not-found',
    ]);
    const events = (await readFile(cluster.auditLogPath, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            user: {username: string};
            objectRef?: {name?: string};
            responseStatus: {code: number};
          },
      );
    expect(events).toContainEqual(
      expect.objectContaining({
        user: expect.objectContaining({username: 'porthole-admin'}),
        objectRef: expect.objectContaining({name: 'audit-probe'}),
        responseStatus: expect.objectContaining({code: 404}),
      }),
    );
  });
});
