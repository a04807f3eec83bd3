import {afterAll, describe, expect, inject, it} from 'vitest';

import {kubectl} from '../../src/index.js';

const cluster = inject('cluster');
const admin = (args: string[]) => kubectl(cluster.kubeconfigPath, args);

describe('RBAC for a plain user name', () => {
  const user = 'f2b6c2c4-7a5e-4b8e-9c1d-5d6e7f8a9b0c'; // as an Entra object id would be bound

  afterAll(async () => {
    await admin(['delete', 'clusterrolebinding', 'porthole-test-viewer', '--ignore-not-found']);
  });

  it('answers `auth can-i --as` from a ClusterRoleBinding to that user', async () => {
    expect((await admin(['auth', 'can-i', 'list', 'pods', '--as', user])).stdout.trim()).toBe('no');

    expect(
      await admin([
        'create',
        'clusterrolebinding',
        'porthole-test-viewer',
        '--clusterrole',
        'view',
        '--user',
        user,
      ]),
    ).toMatchObject({
      code: 0,
    });

    const list = await admin(['auth', 'can-i', 'list', 'pods', '--as', user, '-A']);
    expect(list).toMatchObject({code: 0, stdout: 'yes\n'});
    const remove = await admin(['auth', 'can-i', 'delete', 'pods', '--as', user, '-A']);
    expect(remove).toMatchObject({code: 1, stdout: 'no\n'});
    const other = await admin(['auth', 'can-i', 'list', 'pods', '--as', 'someone-else']);
    expect(other).toMatchObject({code: 1, stdout: 'no\n'});
  });
});
