/**
 * The directory `relay serve --dev-identity` makes on first use: Graph readers for the agent and
 * for the relay's control plane (`porthole-relay`), kept as they are once made.
 */
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {DevIdentityProvider, ensureDevDirectory, fetchTrusting} from '../../src/index.js';
import {postForm} from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-default-directory-'));
});
afterEach(async () => {
  await rm(dir, {recursive: true, force: true});
});

describe('ensureDevDirectory', () => {
  it('makes a directory whose porthole-relay may read group memberships from Graph', async () => {
    const path = join(dir, 'dev-identity', 'directory.json');
    const directory = await ensureDevDirectory(path);
    expect(directory.servicePrincipals?.map((principal) => principal.name)).toEqual([
      'porthole-agent',
      'porthole-relay',
    ]);
    const relay = directory.servicePrincipals?.find(({name}) => name === 'porthole-relay');
    expect(relay?.graphPermissions).toEqual(['GroupMember.Read.All']);

    const identity = await DevIdentityProvider.start({directory, log: () => undefined});
    try {
      const token = await postForm(identity.tokenEndpoint, identity.caPem, {
        grant_type: 'client_credentials',
        client_id: relay?.clientId ?? '',
        client_secret: relay?.secret ?? '',
        scope: `${identity.graphAudience}/.default`,
      });
      expect(token.status).toBe(200);
      const {access_token} = JSON.parse(token.text) as {access_token: string};
      const dev = directory.users?.[0]?.objectId ?? '';
      const groups = await fetchTrusting(identity.caPem)(
        `${identity.graphBaseUrl}/v1.0/users/${dev}/getMemberObjects`,
        {
          method: 'POST',
          headers: {authorization: `Bearer ${access_token}`, 'content-type': 'application/json'},
          body: JSON.stringify({securityEnabledOnly: true}),
        },
      );
      expect(groups.status).toBe(200);
      expect(await groups.json()).toMatchObject({value: []});
    } finally {
      await identity.close();
    }
  });

  it('keeps a directory made before porthole-relay as it is', async () => {
    const path = join(dir, 'directory.json');
    await ensureDevDirectory(path);
    const made = JSON.parse(await readFile(path, 'utf8')) as {
      servicePrincipals: {name: string}[];
    };
    const older = {
      ...made,
      servicePrincipals: made.servicePrincipals.filter(({name}) => name !== 'porthole-relay'),
    };
    await writeFile(path, JSON.stringify(older));
    const kept = await ensureDevDirectory(path);
    expect(kept.servicePrincipals?.map((principal) => principal.name)).toEqual(['porthole-agent']);
  });
});
