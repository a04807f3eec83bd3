import {describe, expect, it} from 'vitest';

import {
  entraIdentity,
  hasGroupOverage,
  impersonationHeaders,
  isEntraShaped,
} from '../../src/auth/index.js';
import type {EntraClaims} from '../../src/auth/index.js';
import {entraToken, GROUP, TENANT, testKey, USER_OID, V2_ISSUER} from './fake-issuer.js';

const SP_OID = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';

/** Claims as a validated token has them; `undefined` in `extra` removes one. */
function claims(
  extra: {[Name in keyof EntraClaims]?: EntraClaims[Name] | undefined} = {},
): EntraClaims {
  return {
    iss: V2_ISSUER,
    exp: 1_780_003_600,
    oid: USER_OID,
    tid: TENANT,
    ver: '2.0',
    idtyp: 'user',
    scp: 'user_impersonation',
    upn: 'ada@contoso.example',
    groups: [GROUP],
    ...extra,
  } as EntraClaims;
}

describe('entraIdentity', () => {
  it('names a user by object id, with the token’s groups', () => {
    expect(entraIdentity(claims())).toEqual({
      kind: 'user',
      user: USER_OID,
      objectId: USER_OID,
      tenantId: TENANT,
      groups: [GROUP],
      expiresAt: 1_780_003_600,
    });
  });

  it('names a user by UPN when asked, falling back to the object id', () => {
    expect(entraIdentity(claims(), {userName: 'upn'}).user).toBe('ada@contoso.example');
    expect(entraIdentity(claims({upn: undefined}), {userName: 'upn'}).user).toBe(USER_OID);
  });

  it('names a service principal by object id, by idtyp or by its lack of scp', () => {
    const app = {oid: SP_OID, upn: undefined, scp: undefined, roles: ['Cluster.Read']};
    expect(entraIdentity(claims({...app, idtyp: 'app'}), {userName: 'upn'})).toMatchObject({
      kind: 'servicePrincipal',
      user: SP_OID,
    });
    expect(entraIdentity(claims({...app, idtyp: undefined}))).toMatchObject({
      kind: 'servicePrincipal',
    });
    expect(entraIdentity(claims({idtyp: undefined})).kind).toBe('user');
  });

  it('refuses names in the system: space and groups that are not object ids', () => {
    const upn = () =>
      entraIdentity(claims({upn: 'system:kube-controller-manager'}), {userName: 'upn'});
    expect(upn).toThrow(expect.objectContaining({code: 'ERR_AUTH_IDENTITY_REJECTED'}) as Error);
    expect(() => entraIdentity(claims({groups: ['system:masters']}))).toThrow(
      expect.objectContaining({code: 'ERR_AUTH_IDENTITY_REJECTED'}) as Error,
    );
  });

  it('leaves the groups to Graph on overage, and reads an empty list as no groups', () => {
    const overage = claims({
      groups: undefined,
      _claim_names: {groups: 'src1'},
      _claim_sources: {src1: {endpoint: 'https://graph.windows.net/x/users/y/getMemberObjects'}},
    });
    expect(hasGroupOverage(overage)).toBe(true);
    expect(entraIdentity(overage).groups).toBeUndefined();
    expect(hasGroupOverage(claims({groups: undefined, hasgroups: true}))).toBe(true);
    expect(hasGroupOverage(claims({groups: undefined}))).toBe(false);
    expect(entraIdentity(claims({groups: undefined})).groups).toEqual([]);
  });
});

describe('impersonationHeaders', () => {
  it('sets user, uid, each group and each extra, percent-encoding extra keys', () => {
    expect(
      impersonationHeaders({
        user: USER_OID,
        uid: USER_OID,
        groups: [GROUP, 'porthole:cluster:viewer'],
        extra: {oid: [USER_OID], tid: [TENANT], 'Acme.com/Project': ['a b'], empty: []},
      }),
    ).toEqual({
      'impersonate-user': USER_OID,
      'impersonate-uid': USER_OID,
      'impersonate-group': [GROUP, 'porthole:cluster:viewer'],
      'impersonate-extra-oid': [USER_OID],
      'impersonate-extra-tid': [TENANT],
      'impersonate-extra-acme.com%2Fproject': ['a b'],
    });
  });

  it('sends no group header for no groups', () => {
    expect(impersonationHeaders({user: 'u', groups: []})).toEqual({'impersonate-user': 'u'});
  });
});

describe('isEntraShaped', () => {
  it('routes any JWT with a tenant id to validation, whatever its issuer', async () => {
    const key = await testKey('k');
    expect(isEntraShaped(await entraToken(key))).toBe(true);
    expect(isEntraShaped(await entraToken(key, {iss: 'https://elsewhere.example/'}))).toBe(true);
    expect(isEntraShaped(await entraToken(key, {tid: undefined, oid: undefined}))).toBe(false);
    expect(isEntraShaped('an-opaque-token')).toBe(false);
  });
});
