import type {AuthenticationResult} from '@azure/msal-node';
import {isEntraAuthority, serverScope} from '@porthole/core/auth';

import type {CliContext} from '../command.js';
import {CliSignInError, CliUsageError, ExitCode} from '../errors.js';
import {ControlPlaneClient} from '../control-plane/control-plane-client.js';
import {parseFlags} from '../flags.js';
import {openBrowser} from '../open-browser.js';
import {confidentialClient, publicClient, tokenSubject} from '../sign-in/msal-apps.js';
import {MsalNetworkClient} from '../sign-in/msal-network.js';
import {SignInFiles} from '../sign-in/session-files.js';
import type {SignInSession} from '../sign-in/session-files.js';
import {dataDir} from '../data-dir.js';

const HINT = 'Run "porthole login --help" for its options.';

/**
 * `porthole login`: signs in to Microsoft Entra ID (or an Entra-shaped provider named by
 * `--authority`) with MSAL — in the browser through a loopback redirect by default, with a
 * device code, as a service principal, or, against the embedded development provider only,
 * as a named development user without a browser. Tokens are kept in a 0600 cache file in the
 * data directory, where `porthole get-token` finds them.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      tenant: {type: 'string'},
      authority: {type: 'string'},
      'client-id': {type: 'string'},
      'server-app': {type: 'string'},
      'use-device-code': {type: 'boolean', default: false},
      'service-principal': {type: 'boolean', default: false},
      secret: {type: 'string'},
      certificate: {type: 'string'},
      'dev-user': {type: 'string'},
      password: {type: 'string'},
      relay: {type: 'string'},
    },
    HINT,
  );
  const relay = values.relay ?? context.env.PORTHOLE_RELAY;
  // A relay says how to sign in to it; flags given still win.
  const offered = relay === undefined ? undefined : await relaySignIn(relay, context);
  const clientId = values['client-id'] ?? context.env.PORTHOLE_CLIENT_ID ?? offered?.clientId;
  const serverApp = values['server-app'] ?? context.env.PORTHOLE_SERVER_APP ?? offered?.serverApp;
  if (!clientId) throw new CliUsageError('--client-id is required (or PORTHOLE_CLIENT_ID)', HINT);
  if (!serverApp) {
    throw new CliUsageError(
      "--server-app is required: the client id of the clusters' server app (or PORTHOLE_SERVER_APP)",
      HINT,
    );
  }
  const servicePrincipal = values['service-principal'];
  const modes = [servicePrincipal, values['use-device-code'], values['dev-user'] !== undefined];
  if (modes.filter(Boolean).length > 1) {
    throw new CliUsageError(
      'choose one of --service-principal, --use-device-code and --dev-user',
      HINT,
    );
  }
  if (servicePrincipal && !values.tenant && !values.authority && !offered)
    throw new CliUsageError('--service-principal needs --tenant', HINT);
  if (servicePrincipal && (values.secret === undefined) === (values.certificate === undefined))
    throw new CliUsageError(
      '--service-principal needs --secret or --certificate, one of them',
      HINT,
    );
  if (!servicePrincipal && (values.secret !== undefined || values.certificate !== undefined))
    throw new CliUsageError('--secret and --certificate go with --service-principal', HINT);
  const authority = (
    values.authority ??
    (values.tenant === undefined ? offered?.authority : undefined) ??
    `https://login.microsoftonline.com/${values.tenant ?? 'organizations'}`
  ).replace(/\/$/, '');
  if (!authority.startsWith('https://'))
    throw new CliUsageError(
      `--authority must be an https URL (got ${JSON.stringify(authority)})`,
      HINT,
    );
  if (values['dev-user'] !== undefined && isEntraAuthority(authority)) {
    throw new CliUsageError(
      '--dev-user signs in to the embedded development provider only, not to Microsoft Entra ID',
      'Give that provider with --authority, or sign in in the browser.',
    );
  }

  const files = new SignInFiles(dataDir(context));
  const scopes = [serverScope(serverApp)];
  const base = {authority, clientId, serverApp, ...(relay === undefined ? {} : {relay})};
  // MSAL's calls go through the proxy the environment names; the interactive flow's loopback
  // redirect server is MSAL's own and local.
  const network = new MsalNetworkClient(context.env);
  let result: AuthenticationResult | null;
  let session: SignInSession;
  try {
    if (servicePrincipal) {
      const secrets = {
        ...(values.secret === undefined ? {} : {clientSecret: values.secret}),
        ...(values.certificate === undefined ? {} : {certificatePath: values.certificate}),
      };
      const app = await confidentialClient({...base, ...secrets}, files, network);
      result = await app.acquireTokenByClientCredential({scopes});
      const subject = tokenSubject(result?.accessToken ?? '');
      session = {
        ...base,
        ...secrets,
        kind: 'servicePrincipal',
        username: clientId,
        objectId: subject.oid ?? '',
        tenantId: subject.tid ?? '',
      };
    } else {
      const app = publicClient(base, files, network);
      if (values['dev-user'] !== undefined) {
        // The password grant: only the development provider takes it (checked above).
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        result = await app.acquireTokenByUsernamePassword({
          scopes,
          username: values['dev-user'],
          password: values.password ?? context.env.PORTHOLE_DEV_PASSWORD ?? '',
        });
      } else if (values['use-device-code']) {
        result = await app.acquireTokenByDeviceCode({
          scopes,
          deviceCodeCallback: (response) => context.stderr.write(`${response.message}\n`),
        });
      } else {
        result = await app.acquireTokenInteractive({
          scopes,
          openBrowser: async (url) => {
            // Printed as well: there may be no browser here.
            context.stderr.write(`To sign in, open ${url}\n`);
            await openBrowser(url, context);
          },
          successTemplate: '<p>Signed in to Porthole. You can close this window.</p>',
          errorTemplate: '<p>Porthole could not sign you in: {error}</p>',
        });
      }
      const account = result?.account;
      if (!account) throw new Error('the answer has no account');
      const subject = tokenSubject(result?.accessToken ?? '');
      session = {
        ...base,
        kind: 'user',
        username: account.username,
        objectId: subject.oid ?? account.localAccountId,
        tenantId: subject.tid ?? account.tenantId,
        homeAccountId: account.homeAccountId,
      };
    }
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    // A failing proxy keeps its own code and hint: they say what to fix, not the sign-in.
    const proxyFailure = network.proxyFailure(err);
    if (proxyFailure) throw proxyFailure;
    const unanswered = network.unanswered(err);
    if (unanswered !== undefined)
      throw new CliSignInError(
        'ERR_CLI_SIGN_IN_FAILED',
        `Sign-in failed: the identity provider does not answer (${unanswered})`,
        'Check --tenant/--authority and your network; behind a proxy, set HTTPS_PROXY (and NO_PROXY).',
        {cause: err},
      );
    throw new CliSignInError(
      'ERR_CLI_SIGN_IN_FAILED',
      `Sign-in failed: ${(err as {errorCode?: string}).errorCode ?? (err as Error).message}`,
      'Check --tenant/--authority, --client-id and --server-app; run with --verbose for more.',
      {cause: err},
    );
  }
  await files.writeSession(session);
  context.stdout.write(
    `Signed in as ${session.username} (${session.kind === 'user' ? 'user' : 'service principal'} ${session.objectId}, tenant ${session.tenantId}).\n`,
  );
  return ExitCode.OK;
}

/**
 * How a relay's control plane signs people in (`GET /api/v1/metadata`).
 *
 * @throws CliRelayError when the relay does not answer; CliSignInError when it has no sign-in
 */
async function relaySignIn(
  relay: string,
  context: CliContext,
): Promise<{authority: string; clientId: string; serverApp: string}> {
  if (!/^https?:\/\//.test(relay)) {
    throw new CliUsageError(
      `--relay must be an https:// (or http://) URL (got ${JSON.stringify(relay)})`,
      HINT,
    );
  }
  const metadata = await new ControlPlaneClient({
    relay,
    env: context.env,
    ...(context.correlationId ? {correlationId: context.correlationId} : {}),
  }).metadata();
  if (!metadata.authentication) {
    throw new CliSignInError(
      'ERR_CLI_SIGN_IN_FAILED',
      `The relay at ${relay} has no sign-in configured`,
      'Its operator starts it with --entra-tenant and --entra-audience, or with --dev-identity.',
    );
  }
  return metadata.authentication;
}
