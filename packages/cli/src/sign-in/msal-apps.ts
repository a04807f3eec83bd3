import {X509Certificate} from 'node:crypto';
import {readFile} from 'node:fs/promises';

import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  PublicClientApplication,
} from '@azure/msal-node';
import type {AuthenticationResult, Configuration} from '@azure/msal-node';
import type {EgressEnvironment} from '@porthole/agent-bridge';
import {isEntraAuthority, serverScope} from '@porthole/core/auth';

import {CliInputError, CliSignInError} from '../errors.js';
import {MsalNetworkClient} from './msal-network.js';
import type {SignInFiles, SignInSession} from './session-files.js';

function msalConfiguration(
  authority: string,
  clientId: string,
  files: SignInFiles,
  network: MsalNetworkClient,
): Configuration {
  const url = new URL(authority);
  return {
    auth: {
      clientId,
      authority,
      ...(isEntraAuthority(authority) ? {} : {knownAuthorities: [url.host]}),
    },
    cache: {cachePlugin: files.cachePlugin()},
    system: {networkClient: network},
  };
}

/**
 * A user's sign-in: the public client app at the authority, its cache in the sign-in files,
 * its calls to the identity provider made by `network`.
 */
export function publicClient(
  session: Pick<SignInSession, 'authority' | 'clientId'>,
  files: SignInFiles,
  network: MsalNetworkClient,
): PublicClientApplication {
  return new PublicClientApplication(
    msalConfiguration(session.authority, session.clientId, files, network),
  );
}

/**
 * A service principal's app, with its secret or its certificate (a PEM file holding the
 * certificate and its private key), its calls to the identity provider made by `network`.
 *
 * @throws CliInputError when the certificate file cannot be read or holds no certificate and key
 */
export async function confidentialClient(
  session: Pick<SignInSession, 'authority' | 'clientId' | 'clientSecret' | 'certificatePath'>,
  files: SignInFiles,
  network: MsalNetworkClient,
): Promise<ConfidentialClientApplication> {
  const configuration = msalConfiguration(session.authority, session.clientId, files, network);
  if (session.certificatePath !== undefined) {
    let pem: string;
    try {
      pem = await readFile(session.certificatePath, 'utf8');
    } catch (err) {
      throw new CliInputError(`Cannot read --certificate ${session.certificatePath}`, {cause: err});
    }
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
    const privateKey =
      /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(
        pem,
      )?.[0];
    if (certPem === undefined || privateKey === undefined)
      throw new CliInputError(
        `--certificate ${session.certificatePath} must hold a certificate and its private key (PEM)`,
      );
    const thumbprintSha256 = new X509Certificate(certPem).fingerprint256.replace(/:/g, '');
    configuration.auth.clientCertificate = {thumbprintSha256, privateKey, x5c: certPem};
  } else {
    configuration.auth.clientSecret = session.clientSecret ?? '';
  }
  return new ConfidentialClientApplication(configuration);
}

/** Whom an access token names (its `oid` and `tid`), read without verifying it. */
export function tokenSubject(token: string): {oid: string | undefined; tid: string | undefined} {
  let claims: {oid?: unknown; tid?: unknown} = {};
  try {
    claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as object;
  } catch {
    // Not a JWT: nothing to read.
  }
  return {
    oid: typeof claims.oid === 'string' ? claims.oid : undefined,
    tid: typeof claims.tid === 'string' ? claims.tid : undefined,
  };
}

/**
 * A fresh access token for the clusters' server app, from the cache or refreshed — never by
 * asking the user, which `porthole login` does. A refresh goes through the forward proxy that
 * `env` names.
 *
 * @throws CliSignInError `ERR_CLI_SIGN_IN_REQUIRED` when nobody is signed in or the sign-in
 *   needs the user again; `ERR_CLI_SIGN_IN_FAILED` when the identity provider refuses;
 *   the proxy's own `ForwardProxyError` (`ERR_TUNNEL_PROXY_*`) when a proxy fails
 */
export async function accessToken(
  session: SignInSession | undefined,
  files: SignInFiles,
  env: EgressEnvironment,
): Promise<AuthenticationResult> {
  if (!session) {
    throw new CliSignInError(
      'ERR_CLI_SIGN_IN_REQUIRED',
      'Nobody is signed in',
      'Run: porthole login',
    );
  }
  const scopes = [serverScope(session.serverApp)];
  const network = new MsalNetworkClient(env);
  try {
    if (session.kind === 'servicePrincipal') {
      const app = await confidentialClient(session, files, network);
      const result = await app.acquireTokenByClientCredential({scopes});
      if (!result) throw new Error('no token in the answer');
      return result;
    }
    const app = publicClient(session, files, network);
    const account = await app.getTokenCache().getAccountByHomeId(session.homeAccountId ?? '');
    if (!account)
      throw new InteractionRequiredAuthError('no_account', 'the account is not in the cache');
    return await app.acquireTokenSilent({account, scopes});
  } catch (err) {
    // A failing proxy keeps its own code and hint: they say what to fix, not the sign-in.
    const proxyFailure = network.proxyFailure(err);
    if (proxyFailure) throw proxyFailure;
    if (err instanceof InteractionRequiredAuthError) {
      throw new CliSignInError(
        'ERR_CLI_SIGN_IN_REQUIRED',
        `The sign-in of ${session.username} has lapsed (${err.errorCode})`,
        'Run: porthole login',
        {cause: err},
      );
    }
    if (err instanceof CliInputError) throw err;
    const unanswered = network.unanswered(err);
    if (unanswered !== undefined)
      throw new CliSignInError(
        'ERR_CLI_SIGN_IN_FAILED',
        `No token for ${session.username}: the identity provider does not answer (${unanswered})`,
        'Check your network; behind a proxy, set HTTPS_PROXY (and NO_PROXY).',
        {cause: err},
      );
    throw new CliSignInError(
      'ERR_CLI_SIGN_IN_FAILED',
      `The identity provider refused a token for ${session.username}: ${(err as {errorCode?: string}).errorCode ?? (err as Error).message}`,
      'Run porthole login again; check the authority and the app ids.',
      {cause: err},
    );
  }
}
