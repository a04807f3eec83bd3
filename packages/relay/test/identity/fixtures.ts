import {randomUUID} from 'node:crypto';

import type {INetworkModule, NetworkRequestOptions, NetworkResponse} from '@azure/msal-node';
import {createRemoteJWKSet, customFetch, jwtVerify} from 'jose';
import type {JWTPayload} from 'jose';

import {httpsRequest, UserAgent} from '@porthole/testing';
import type {HttpsResponse} from '@porthole/testing';

import {DevIdentityProvider, fetchTrusting} from '../../src/index.js';
import type {DevDirectory, DevIdentityProviderOptions} from '../../src/index.js';

/** Object ids and client ids of the test directory, fresh per test run. */
export const ID = {
  tenant: randomUUID(),
  api: randomUUID(),
  cli: randomUUID(),
  console: randomUUID(),
  agent: randomUUID(),
  agentObject: randomUUID(),
  deployer: randomUUID(),
  deployerObject: randomUUID(),
  crowd: randomUUID(),
  crowdObject: randomUUID(),
  unprivileged: randomUUID(),
  unprivilegedObject: randomUUID(),
  alice: randomUUID(),
  bob: randomUUID(),
  carol: randomUUID(),
  platform: randomUUID(),
  engineering: randomUUID(),
  everyone: randomUUID(),
  mailing: randomUUID(),
};

export const SECRETS = {
  agent: 'agent-secret-0123456789',
  deployer: 'deployer-secret-0123456789',
  crowd: 'crowd-secret-0123456789',
  unprivileged: 'unprivileged-secret-0123456789',
};

export const BOB_PASSWORD = 'correct horse battery staple';

/** How many bulk groups carol and the `crowd` service principal are direct members of. */
export const BULK_GROUPS = 247;

/** `bulk-000` … : object ids of the bulk groups, in order. */
export const BULK_IDS = Array.from({length: BULK_GROUPS}, () => randomUUID());

/**
 * The test tenant:
 * - groups: `platform` ⊂ `engineering` ⊂ `everyone` (nested), `mailing` (not security-enabled),
 *   and 247 bulk groups;
 * - alice (no password) is in `platform`, hence transitively in `engineering` and `everyone`;
 * - bob has a password and no groups; carol is in `platform` and every bulk group: 250 in all;
 * - service principals: `agent` (may read Graph memberships), `deployer` (role
 *   `Cluster.Admin`, in `engineering`), `crowd` (250 groups), `unprivileged` (no Graph permission).
 */
export function testDirectory(): DevDirectory {
  const bulk = BULK_IDS.map((objectId, i) => ({
    name: `bulk-${String(i).padStart(3, '0')}`,
    objectId,
  }));
  return {
    tenantId: ID.tenant,
    api: {clientId: ID.api, appRoles: ['Cluster.Admin', 'Cluster.Reader']},
    publicClients: [
      {name: 'porthole-cli', clientId: ID.cli, redirectUris: ['http://localhost']},
      {
        name: 'porthole-console',
        clientId: ID.console,
        // The relay's console in development, and one a local bridge serves.
        redirectUris: ['http://localhost:5173/redirect.html', 'https://127.0.0.1/redirect.html'],
      },
    ],
    servicePrincipals: [
      {
        name: 'agent',
        clientId: ID.agent,
        objectId: ID.agentObject,
        secret: SECRETS.agent,
        graphPermissions: ['GroupMember.Read.All'],
      },
      {
        name: 'deployer',
        clientId: ID.deployer,
        objectId: ID.deployerObject,
        secret: SECRETS.deployer,
        groups: ['engineering'],
        roles: ['Cluster.Admin'],
      },
      {
        name: 'crowd',
        clientId: ID.crowd,
        objectId: ID.crowdObject,
        secret: SECRETS.crowd,
        groups: ['platform', ...bulk.map((group) => group.name)],
      },
      {
        name: 'unprivileged',
        clientId: ID.unprivileged,
        objectId: ID.unprivilegedObject,
        secret: SECRETS.unprivileged,
      },
    ],
    users: [
      {
        name: 'alice',
        upn: 'alice@contoso.example',
        displayName: 'Alice Liddell',
        objectId: ID.alice,
        groups: ['platform', 'mailing'],
        roles: ['Cluster.Reader'],
      },
      {
        name: 'bob',
        upn: 'bob@contoso.example',
        displayName: 'Bob Builder',
        objectId: ID.bob,
        password: BOB_PASSWORD,
      },
      {
        name: 'carol',
        upn: 'carol@contoso.example',
        displayName: 'Carol Danvers',
        objectId: ID.carol,
        groups: ['platform', ...bulk.map((group) => group.name)],
      },
    ],
    groups: [
      {name: 'everyone', objectId: ID.everyone, memberGroups: ['engineering']},
      {name: 'engineering', objectId: ID.engineering, memberGroups: ['platform']},
      {name: 'platform', objectId: ID.platform, displayName: 'Platform team'},
      {name: 'mailing', objectId: ID.mailing, securityEnabled: false},
      ...bulk,
    ],
  };
}

/** A started provider and the events it logged. */
export interface TestIdentity {
  identity: DevIdentityProvider;
  events: {event: string; fields: Record<string, unknown>}[];
}

/** Starts a provider on 127.0.0.1:0 over the test directory, polling interval 1 s. */
export async function startTestIdentity(
  options: Partial<DevIdentityProviderOptions> = {},
): Promise<TestIdentity> {
  const events: TestIdentity['events'] = [];
  const identity = await DevIdentityProvider.start({
    directory: testDirectory(),
    deviceCodeIntervalSeconds: 1,
    log: (event, fields) => events.push({event, fields}),
    ...options,
  });
  return {identity, events};
}

/** An HTTP response, read whole. */
/** A form POST, as a browser or MSAL sends one. */
export function postForm(
  url: string,
  ca: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HttpsResponse> {
  return httpsRequest(url, {
    ca,
    method: 'POST',
    headers: {'content-type': 'application/x-www-form-urlencoded', ...headers},
    body: new URLSearchParams(form).toString(),
  });
}

/** Verifies a token against the provider's published JWKS, as Porthole's validator will. */
export async function verifyWithJwks(
  identity: DevIdentityProvider,
  token: string,
  audience: string,
): Promise<{payload: JWTPayload; protectedHeader: {alg: string; kid?: string; typ?: string}}> {
  const jwks = createRemoteJWKSet(new URL(identity.jwksUri), {
    [customFetch]: fetchTrusting(identity.caPem),
    cooldownDuration: 0,
  });
  return jwtVerify(token, jwks, {
    issuer: identity.issuer,
    audience,
    algorithms: ['RS256'],
    requiredClaims: ['oid', 'tid'],
  });
}

/** The claims of a JWT, unverified. */
export function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * MSAL's network over node:https trusting the provider's CA (auth.md §3: `system.networkClient`).
 */
export function msalNetwork(ca: string): INetworkModule {
  const send = async <T>(
    url: string,
    method: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const response = await httpsRequest(url, {
      ca,
      method,
      headers: options?.headers ?? {},
      ...(options?.body === undefined ? {} : {body: options.body}),
    });
    return {
      status: response.status,
      headers: Object.fromEntries(
        Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
      ),
      body: JSON.parse(response.text) as T,
    };
  };
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}

/** A user agent for the provider's pages: trusting its CA, following redirects on its origin. */
export function userAgentFor(identity: DevIdentityProvider): UserAgent {
  return new UserAgent({ca: identity.caPem, origin: new URL(identity.issuer).origin});
}
