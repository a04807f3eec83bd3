/**
 * @azure/msal-node against the provider, as the CLI and the agent will use it (auth.md §3):
 * device code (driving the verification pages over HTTPS), client credentials, silent refresh,
 * authorization code with PKCE, and the dev password grant — no browser.
 */
import {
  ConfidentialClientApplication,
  CryptoProvider,
  PublicClientApplication,
} from '@azure/msal-node';
import type {Configuration, DeviceCodeRequest} from '@azure/msal-node';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {signInWithForm} from '@porthole/testing';

import {
  BOB_PASSWORD,
  ID,
  SECRETS,
  claimsOf,
  msalNetwork,
  postForm,
  startTestIdentity,
  verifyWithJwks,
  userAgentFor,
} from './fixtures.js';
import type {TestIdentity} from './fixtures.js';

/** What MSAL hands the device code callback (msal-common's DeviceCodeResponse). */
type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];

let test: TestIdentity;
beforeAll(async () => {
  test = await startTestIdentity();
});
afterAll(() => test.identity.close());

const API_SCOPE = () => `api://${ID.api}/user_impersonation`;

function msalConfig(clientId: string, secret?: string): Configuration {
  const {identity} = test;
  return {
    auth: {
      clientId,
      authority: identity.authority,
      knownAuthorities: [identity.knownAuthority],
      ...(secret === undefined ? {} : {clientSecret: secret}),
    },
    system: {networkClient: msalNetwork(identity.caPem)},
  };
}

/** What a user does with a device code: enter it, confirm, sign in. */
async function completeDeviceCode(
  response: DeviceCodeResponse,
  login: string,
  password = '',
): Promise<string> {
  const agent = userAgentFor(test.identity);
  const entry = await agent.open(response.verificationUri);
  expect(entry.status).toBe(200);
  const confirm = await agent.submit(entry.form(), {user_code: response.userCode});
  expect(confirm.html).toContain('Are you trying to sign in?');
  const login_ = await agent.submit(confirm.form());
  expect(login_.url).toMatch(/\/login\/[\w-]+$/);
  const done = await agent.submit(login_.form(), {username: login, password, action: 'sign-in'});
  expect(done.status).toBe(200);
  return done.html;
}

describe('MSAL device code flow', () => {
  it('signs a user in, then renews silently with the refresh token', async () => {
    const {identity} = test;
    const pca = new PublicClientApplication(msalConfig(ID.cli));
    let device: DeviceCodeResponse | undefined;
    let page: Promise<string> | undefined;
    const started = Date.now();
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [API_SCOPE()],
      deviceCodeCallback: (response) => {
        device = response;
        page = completeDeviceCode(response, 'bob', BOB_PASSWORD);
      },
    });
    if (!result) throw new Error('MSAL returned no result');
    expect(device).toMatchObject({
      verificationUri: `${identity.issuer}/devicelogin`,
      interval: 1,
      message: expect.stringContaining(device?.userCode ?? '?') as string,
    });
    expect(await page).toContain('You have signed in to <strong>porthole-cli</strong>');
    // MSAL polled at the advertised interval, not in a busy loop (auth.md §3, shim 3).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    expect(result.account).toMatchObject({
      homeAccountId: `${ID.bob}.${ID.tenant}`,
      localAccountId: ID.bob,
      tenantId: ID.tenant,
      username: 'bob@contoso.example',
      name: 'Bob Builder',
    });
    expect(result.scopes).toEqual([API_SCOPE()]);
    const {payload} = await verifyWithJwks(identity, result.accessToken, ID.api);
    expect(payload).toMatchObject({oid: ID.bob, azp: ID.cli, scp: 'user_impersonation'});

    const account = result.account;
    if (!account) throw new Error('no account');
    const renewed = await pca.acquireTokenSilent({
      account,
      scopes: [API_SCOPE()],
      forceRefresh: true,
    });
    expect(renewed.accessToken).not.toBe(result.accessToken);
    expect(renewed.fromCache).toBe(false);
    const refreshed = await verifyWithJwks(identity, renewed.accessToken, ID.api);
    expect(refreshed.payload).toMatchObject({
      oid: ID.bob,
      scp: 'user_impersonation',
      idtyp: 'user',
    });
  });

  it('shows the entry page again for a wrong code, and keeps the client waiting', async () => {
    const pca = new PublicClientApplication(msalConfig(ID.cli));
    const agent = userAgentFor(test.identity);
    let page: Promise<string> | undefined;
    const request = {
      scopes: [API_SCOPE()],
      cancel: false,
      deviceCodeCallback: (response: DeviceCodeResponse) => {
        page = agent
          .open(response.verificationUri)
          .then((entry) => agent.submit(entry.form(), {user_code: 'BCDF-GHJK'}))
          .then((retry) => {
            request.cancel = true;
            return retry.html;
          });
      },
    };
    await expect(pca.acquireTokenByDeviceCode(request)).rejects.toMatchObject({
      errorCode: 'device_code_polling_cancelled',
    });
    expect(await page).toContain('The code you entered is not valid.');
  });
});

describe('MSAL authorization code flow with PKCE', () => {
  it('signs a user in through the form, then again without it while the session lasts', async () => {
    const {identity} = test;
    const pca = new PublicClientApplication(msalConfig(ID.cli));
    const crypto = new CryptoProvider();
    const {verifier, challenge} = await crypto.generatePkceCodes();
    const redirectUri = 'http://localhost:53123';
    const authorizeUrl = await pca.getAuthCodeUrl({
      scopes: [API_SCOPE()],
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state: 'state-1',
    });
    expect(authorizeUrl.startsWith(`${identity.issuer}/oauth2/v2.0/authorize?`)).toBe(true);

    const agent = userAgentFor(identity);
    const back = await signInWithForm(agent, authorizeUrl, 'alice');
    const callback = new URL(back.url);
    expect(callback.origin).toBe('http://localhost:53123');
    expect(callback.searchParams.get('state')).toBe('state-1');
    const code = callback.searchParams.get('code');
    if (code === null) throw new Error(`no code in ${back.url}`);

    const result = await pca.acquireTokenByCode({
      code,
      scopes: [API_SCOPE()],
      redirectUri,
      codeVerifier: verifier,
    });
    expect(result.account).toMatchObject({
      homeAccountId: `${ID.alice}.${ID.tenant}`,
      username: 'alice@contoso.example',
    });
    const {payload} = await verifyWithJwks(identity, result.accessToken, ID.api);
    expect(payload).toMatchObject({oid: ID.alice, azp: ID.cli, scp: 'user_impersonation'});

    // The session cookie signs the same user in again, straight to the redirect URI.
    const second = await pca.getAuthCodeUrl({
      scopes: [API_SCOPE()],
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
    });
    const again = await agent.open(second);
    expect(new URL(again.url).searchParams.get('code')).toEqual(expect.any(String));
  });

  it("completes acquireTokenInteractive through MSAL's loopback server", async () => {
    const {identity} = test;
    const pca = new PublicClientApplication(msalConfig(ID.cli));
    const agent = userAgentFor(identity);
    let redirect: URL | undefined;
    const result = await pca.acquireTokenInteractive({
      scopes: [API_SCOPE()],
      successTemplate: 'signed in',
      openBrowser: async (url) => {
        const back = await signInWithForm(agent, url, 'bob', BOB_PASSWORD);
        // MSAL asks for response_mode=form_post: the page posts the code to MSAL's own
        // http://localhost:PORT server, as the browser's last step.
        const form = back.form();
        redirect = new URL(form.action);
        const response = await fetch(form.action, {
          method: 'POST',
          headers: {'content-type': 'application/x-www-form-urlencoded'},
          body: new URLSearchParams(form.fields).toString(),
        });
        expect(await response.text()).toBe('signed in');
      },
    });
    expect(redirect?.hostname).toBe('localhost');
    expect(result.account?.homeAccountId).toBe(`${ID.bob}.${ID.tenant}`);
    const {payload} = await verifyWithJwks(identity, result.accessToken, ID.api);
    expect(payload).toMatchObject({oid: ID.bob, azp: ID.cli});
  });

  it('refuses an authorization request without PKCE', async () => {
    const {identity} = test;
    const url = new URL(`${identity.issuer}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: ID.cli,
      response_type: 'code',
      redirect_uri: 'http://localhost:53123',
      scope: `openid ${API_SCOPE()}`,
    }).toString();
    const page = await userAgentFor(identity).open(url.href);
    const back = new URL(page.url);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toBe(
      'Authorization Server policy requires PKCE to be used for this request',
    );
  });

  it('lets loopback redirect URIs differ in their port only, https ones too', async () => {
    const {identity} = test;
    const authorize = async (redirectUri: string) => {
      const url = new URL(`${identity.issuer}/oauth2/v2.0/authorize`);
      url.search = new URLSearchParams({
        client_id: ID.console,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: `openid ${API_SCOPE()}`,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }).toString();
      return userAgentFor(identity).open(url.href);
    };
    // The sign-in form: the redirect URI was accepted.
    for (const accepted of [
      'https://127.0.0.1:47011/redirect.html',
      'https://127.0.0.1:50123/redirect.html',
      'http://localhost:8080/redirect.html',
    ])
      expect((await authorize(accepted)).status, accepted).toBe(200);
    for (const refused of [
      'https://127.0.0.1:47011/other.html',
      'http://127.0.0.1:47011/redirect.html',
      'https://relay.example:47011/redirect.html',
    ]) {
      const page = await authorize(refused);
      expect(page.status, refused).toBe(400);
      expect(page.html).toContain('redirect_uri did not match any of the client');
    }
  });

  it('re-asks after a wrong password, and reports a cancelled sign-in as access_denied', async () => {
    const {identity, events} = test;
    const pca = new PublicClientApplication(msalConfig(ID.cli));
    const {challenge} = await new CryptoProvider().generatePkceCodes();
    const authorizeUrl = await pca.getAuthCodeUrl({
      scopes: [API_SCOPE()],
      redirectUri: 'http://localhost:53124/',
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
    });
    const agent = userAgentFor(identity);
    const form = await agent.open(authorizeUrl);
    const wrong = await agent.submit(form.form(), {
      username: 'bob',
      password: 'nope',
      action: 'sign-in',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('Unknown user name, or wrong password.');
    expect(wrong.form().fields.username).toBe('bob');
    expect(events).toContainEqual({
      event: 'identity.sign-in-refused',
      fields: {client: ID.cli, grant: 'interactive'},
    });

    const cancelled = await agent.submit(wrong.form(), {action: 'cancel'});
    const back = new URL(cancelled.url);
    expect(back.origin).toBe('http://localhost:53124');
    expect(back.searchParams.get('error')).toBe('access_denied');
  });

  it('serves the console a CORS token response on a loopback origin', async () => {
    const {identity} = test;
    const tokens = await identity.signIn('alice', {clientId: ID.console});
    const response = await fetchTokenWithOrigin(
      tokens.refresh_token ?? '',
      'http://localhost:5173',
    );
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });
});

function fetchTokenWithOrigin(refreshToken: string, origin: string) {
  return postForm(
    test.identity.tokenEndpoint,
    test.identity.caPem,
    {
      grant_type: 'refresh_token',
      client_id: ID.console,
      refresh_token: refreshToken,
      scope: `${API_SCOPE()} openid profile offline_access`,
    },
    {origin},
  );
}

describe('MSAL client credentials', () => {
  it('gets an app token for the API and one for Graph', async () => {
    const {identity} = test;
    const cca = new ConfidentialClientApplication(msalConfig(ID.deployer, SECRETS.deployer));
    const result = await cca.acquireTokenByClientCredential({scopes: [`api://${ID.api}/.default`]});
    if (!result) throw new Error('no result');
    const {payload} = await verifyWithJwks(identity, result.accessToken, ID.api);
    expect(payload).toMatchObject({
      oid: ID.deployerObject,
      azp: ID.deployer,
      idtyp: 'app',
      roles: ['Cluster.Admin'],
    });

    const agent = new ConfidentialClientApplication(msalConfig(ID.agent, SECRETS.agent));
    const graph = await agent.acquireTokenByClientCredential({
      scopes: ['https://graph.microsoft.com/.default'],
    });
    expect(claimsOf(graph?.accessToken ?? '')).toMatchObject({
      aud: 'https://graph.microsoft.com',
      oid: ID.agentObject,
      idtyp: 'app',
      roles: ['GroupMember.Read.All'],
    });
  });
});

describe('MSAL username and password (the dev sign-in grant)', () => {
  it('signs in with acquireTokenByUsernamePassword and renews silently', async () => {
    const {identity} = test;
    const pca = new PublicClientApplication(msalConfig(ID.cli));
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- ROPC is the dev sign-in grant; only this provider offers it
    const result = await pca.acquireTokenByUsernamePassword({
      scopes: [API_SCOPE()],
      username: 'carol',
      password: '',
    });
    expect(result?.account).toMatchObject({
      homeAccountId: `${ID.carol}.${ID.tenant}`,
      username: 'carol@contoso.example',
    });
    const account = result?.account;
    if (!account) throw new Error('no account');
    const renewed = await pca.acquireTokenSilent({
      account,
      scopes: [API_SCOPE()],
      forceRefresh: true,
    });
    const {payload} = await verifyWithJwks(identity, renewed.accessToken, ID.api);
    expect(payload).toMatchObject({oid: ID.carol, azp: ID.cli, scp: 'user_impersonation'});
  });
});
