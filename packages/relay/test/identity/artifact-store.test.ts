/**
 * The per-provider store behind oidc-provider: expiry, the bound on entries (oldest first),
 * the secondary indexes, and revocation by grant.
 */
import {describe, expect, it} from 'vitest';

import {ArtifactStore} from '../../src/identity/artifact-store.js';

function clock() {
  let now = 1_000_000;
  return {now: () => now, advance: (ms: number) => (now += ms)};
}

describe('ArtifactStore', () => {
  it('forgets an artifact once it expires', async () => {
    const time = clock();
    const codes = new ArtifactStore(10, time.now).adapter('AuthorizationCode');
    await codes.upsert('c1', {jti: 'c1', grantId: 'g1'}, 60);
    time.advance(59_999);
    expect(await codes.find('c1')).toEqual({jti: 'c1', grantId: 'g1'});
    time.advance(1);
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping expired ones first, then the oldest', async () => {
    const time = clock();
    const store = new ArtifactStore(3, time.now);
    const grants = store.adapter('Grant');
    await grants.upsert('old', {jti: 'old'}, 10);
    await grants.upsert('a', {jti: 'a'}, 3600);
    await grants.upsert('b', {jti: 'b'}, 3600);
    time.advance(20_000);
    await grants.upsert('c', {jti: 'c'}, 3600);
    expect(store.size).toBe(3);
    expect(await grants.find('a')).toEqual({jti: 'a'});
    await grants.upsert('d', {jti: 'd'}, 3600);
    expect(store.size).toBe(3);
    expect(await grants.find('a')).toBeUndefined();
    expect(await grants.find('d')).toEqual({jti: 'd'});
  });

  it('finds sessions by uid and device codes by user code, and consumes', async () => {
    const time = clock();
    const store = new ArtifactStore(10, time.now);
    const sessions = store.adapter('Session');
    await sessions.upsert('s1', {jti: 's1', uid: 'u1'}, 3600);
    expect(await sessions.findByUid('u1')).toEqual({jti: 's1', uid: 'u1'});
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();

    const devices = store.adapter('DeviceCode');
    await devices.upsert('d1', {jti: 'd1', userCode: 'BCDFGHJK'}, 600);
    expect(await devices.findByUserCode('BCDFGHJK')).toMatchObject({jti: 'd1'});
    await devices.consume('d1');
    expect(await devices.find('d1')).toMatchObject({consumed: 1000});
    expect(await devices.findByUserCode('NOPE')).toBeUndefined();
  });

  it('revokes everything issued under a grant', async () => {
    const store = new ArtifactStore(10);
    const refresh = store.adapter('RefreshToken');
    const codes = store.adapter('AuthorizationCode');
    await refresh.upsert('r1', {jti: 'r1', grantId: 'g1'}, 3600);
    await codes.upsert('c1', {jti: 'c1', grantId: 'g1'}, 60);
    await refresh.upsert('r2', {jti: 'r2', grantId: 'g2'}, 3600);
    await refresh.revokeByGrantId('g1');
    expect(await refresh.find('r1')).toBeUndefined();
    expect(await codes.find('c1')).toBeUndefined();
    expect(await refresh.find('r2')).toEqual({jti: 'r2', grantId: 'g2'});
    expect(store.size).toBe(1);
  });
});
