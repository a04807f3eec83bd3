import {Provider, errors} from 'oidc-provider';
import type {
  Account,
  Client,
  ClientMetadata,
  Configuration,
  JWK,
  KoaContextWithOIDC,
  ResourceServer,
} from 'oidc-provider';

import type {RelayLogger} from '../options.js';
import type {ArtifactStore} from './artifact-store.js';
import type {DevUser} from './dev-directory.js';
import type {DirectoryIndex} from './directory-index.js';
import {shapeEntraAccessToken} from './entra-claims.js';
import {
  PAGE_HEADERS,
  deviceCodeConfirmPage,
  deviceCodeInputPage,
  deviceCodeSuccessPage,
  errorPage,
  loggedOutPage,
  logoutPage,
} from './pages.js';
import {PASSWORD_GRANT, PASSWORD_GRANT_PARAMETERS, passwordGrant} from './password-grant.js';
import type {SigningKey} from './signing-keys.js';

/**
 * Entra's endpoint paths below the issuer `https://host/{tid}/v2.0` (auth.md §4). MSAL derives
 * the device code endpoint from the token endpoint (`/token` → `/devicecode`), so the two must
 * stay siblings.
 */
export const ENTRA_ROUTES = {
  authorization: '/oauth2/v2.0/authorize',
  token: '/oauth2/v2.0/token',
  device_authorization: '/oauth2/v2.0/devicecode',
  end_session: '/oauth2/v2.0/logout',
  jwks: '/discovery/v2.0/keys',
  code_verification: '/devicelogin',
} as const;

/** The RFC 8628 grant type, which MSAL calls `device_code` (auth.md §3, shim 2). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Everything the oidc-provider instance is built from; a key rotation builds another from the same. */
export interface ProviderSetup {
  directory: DirectoryIndex;
  /** `https://host:port/{tid}/v2.0` */
  issuer: string;
  /** The sign-in page of an interaction, e.g. `/{tid}/v2.0/login/{uid}`. */
  loginPath: (uid: string) => string;
  graphBaseUrl: string;
  graphAudience: string;
  /** First signs; all are published. */
  keys: readonly SigningKey[];
  cookieKeys: readonly string[];
  store: ArtifactStore;
  overageThreshold: number;
  accessTokenTtlSeconds: number;
  deviceCodeIntervalSeconds: number;
  log: RelayLogger;
}

const REFRESH_TOKEN_TTL_SECONDS = 14 * 24 * 3600;
const SESSION_TTL_SECONDS = 14 * 24 * 3600;

/**
 * Builds the oidc-provider instance that plays Entra ID: the routes and issuer layout of the
 * v2.0 endpoint, JWT access tokens for the API application and Graph (resource indicators
 * derived from the `api://…/` scope prefix, since MSAL never sends `resource`), Entra's claim
 * shape, device code and client credentials, the dev-only password grant, and the MSAL shims
 * that need the response (auth.md §4).
 */
export function createOidcProvider(setup: ProviderSetup): Provider {
  const {directory} = setup;
  const provider = new Provider(setup.issuer, {
    clients: clientMetadata(directory),
    routes: ENTRA_ROUTES,
    jwks: {keys: setup.keys.map((key) => key.privateJwk as JWK)},
    cookies: {keys: [...setup.cookieKeys]},
    adapter: (model: string) => setup.store.adapter(model),
    findAccount: (_ctx, id) => {
      const principal = directory.principal(id);
      return principal?.kind === 'user'
        ? userAccount(principal.user, directory.tenantId)
        : undefined;
    },
    // MSAL fills `account.username` from `preferred_username` and `name` (auth.md §4).
    claims: {openid: ['sub', 'oid', 'tid'], profile: ['name', 'preferred_username']},
    responseTypes: ['code', 'none'],
    // Public clients get refresh tokens whether or not `offline_access` survives (auth.md §4).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    interactions: {url: (_ctx, interaction) => setup.loginPath(interaction.uid)},
    clientBasedCORS: (_ctx, origin, client) => corsAllowed(origin, client),
    ttl: {
      AccessToken: setup.accessTokenTtlSeconds,
      ClientCredentials: setup.accessTokenTtlSeconds,
      AuthorizationCode: 600,
      DeviceCode: 900,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: REFRESH_TOKEN_TTL_SECONDS,
      Session: SESSION_TTL_SECONDS,
      Grant: REFRESH_TOKEN_TTL_SECONDS,
    },
    features: {
      devInteractions: {enabled: false},
      // Entra's userinfo lives on Graph; without one here, `openid` never steals the audience.
      userinfo: {enabled: false},
      clientCredentials: {enabled: true},
      deviceFlow: {
        enabled: true,
        userCodeInputSource: (ctx, form, _out, err) => {
          renderPage(ctx, deviceCodeInputPage(form, err && userCodeError(err)));
        },
        userCodeConfirmSource: (ctx, form, client, _deviceInfo, userCode) => {
          renderPage(
            ctx,
            deviceCodeConfirmPage(form, client.clientName ?? client.clientId, userCode),
          );
        },
        successSource: (ctx) => {
          const {client} = ctx.oidc;
          renderPage(ctx, deviceCodeSuccessPage(client?.clientName ?? client?.clientId ?? ''));
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          renderPage(ctx, logoutPage(form));
        },
        postLogoutSuccessSource: (ctx) => {
          renderPage(ctx, loggedOutPage());
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx) => resourceForScope(ctx, setup),
        getResourceServerInfo: (_ctx, resource, client) =>
          resourceServerInfo(resource, client, setup),
        useGrantedResource: () => true,
      },
    },
    formats: {
      customizers: {
        jwt: (_ctx, token, parts) => {
          // Entra's access tokens say `typ: JWT`, not RFC 9068's `at+jwt` (auth.md §2).
          parts.header = {typ: 'JWT'};
          shapeEntraAccessToken(parts.payload, token, {
            directory,
            graphBaseUrl: setup.graphBaseUrl,
            graphAudience: setup.graphAudience,
            overageThreshold: setup.overageThreshold,
          });
        },
      },
    },
    renderError: (ctx, out) => {
      renderPage(ctx, errorPage(out.error, out.error_description));
    },
  } satisfies Configuration);

  provider.registerGrantType(
    PASSWORD_GRANT,
    passwordGrant({
      directory,
      account: (user) => userAccount(user, directory.tenantId),
      resourceServer: (resource, client) => resourceServerInfo(resource, client, setup),
      apiUri: directory.apiUri,
      log: setup.log,
    }),
    PASSWORD_GRANT_PARAMETERS,
  );
  provider.use(async (ctx, next) => {
    await next();
    completeResponse(ctx, setup);
  });
  provider.on('server_error', (_ctx, err) => {
    setup.log('identity.server-error', {error: err.message});
  });
  provider.on('grant.error', (ctx, err) => {
    setup.log('identity.grant-refused', {
      client: ctx.oidc.client?.clientId,
      error: errorCode(err),
    });
  });
  allowLoopbackPorts(provider);
  return provider;
}

/**
 * The API application and, for confidential clients, Graph. Both get RS256 JWT access tokens;
 * the API's audience is its client id, as Entra's v2 tokens have (auth.md §1).
 *
 * @throws errors.InvalidTarget for any other resource, or Graph asked for by a public client
 */
export function resourceServerInfo(
  resource: string,
  client: Client,
  setup: Pick<ProviderSetup, 'directory' | 'graphAudience' | 'accessTokenTtlSeconds'>,
): ResourceServer {
  const common = {
    accessTokenFormat: 'jwt' as const,
    accessTokenTTL: setup.accessTokenTtlSeconds,
    jwt: {sign: {alg: 'RS256' as const}},
  };
  const {directory} = setup;
  if (resource === directory.apiUri) {
    const scopes = [...directory.apiScopes, '.default'].map((scope) => `${resource}/${scope}`);
    return {...common, scope: scopes.join(' '), audience: directory.apiClientId};
  }
  if (resource === setup.graphAudience && client.clientAuthMethod !== 'none') {
    return {...common, scope: `${resource}/.default`, audience: resource};
  }
  throw new errors.InvalidTarget(`the resource ${resource} is not known to this tenant`);
}

/** `api://<api>/x` asks for the API, `https://graph.microsoft.com/.default` for Graph (auth.md §4). */
function resourceForScope(ctx: KoaContextWithOIDC, setup: ProviderSetup): string | undefined {
  const scope = ctx.oidc.params?.scope;
  const scopes = typeof scope === 'string' ? scope.split(' ') : [];
  return [setup.directory.apiUri, setup.graphAudience].find((resource) =>
    scopes.some((entry) => entry.startsWith(`${resource}/`)),
  );
}

function clientMetadata(directory: DirectoryIndex): ClientMetadata[] {
  const publicClients = (directory.directory.publicClients ?? []).map((client): ClientMetadata => {
    const redirectUris = (client.redirectUris ?? []).flatMap(withLoopbackSlash);
    return {
      client_id: client.clientId,
      client_name: client.name,
      application_type: applicationType(redirectUris),
      token_endpoint_auth_method: 'none',
      redirect_uris: redirectUris,
      response_types: redirectUris.length > 0 ? ['code'] : [],
      grant_types: [
        ...(redirectUris.length > 0 ? ['authorization_code'] : []),
        'refresh_token',
        DEVICE_CODE_GRANT,
        PASSWORD_GRANT,
      ],
    };
  });
  const confidentialClients = (directory.directory.servicePrincipals ?? []).map(
    (sp): ClientMetadata => ({
      client_id: sp.clientId,
      client_name: sp.name,
      client_secret: sp.secret,
      // MSAL's confidential client sends the secret in the body.
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [],
      response_types: [],
      grant_types: ['client_credentials'],
    }),
  );
  return [...publicClients, ...confidentialClients];
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A bare loopback URI (`http://localhost`) also registered with its root slash: oidc-provider
 * compares loopback URIs as strings once the port is gone, and MSAL's loopback server sends
 * `http://localhost:PORT` while browsers and other clients add the `/`.
 */
function withLoopbackSlash(uri: string): string[] {
  const url = new URL(uri);
  const root = url.pathname === '/' && url.search === '';
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || !root) return [uri];
  const bare = uri.endsWith('/') ? uri.slice(0, -1) : uri;
  return [bare, `${bare}/`];
}

/**
 * `native` where oidc-provider allows it (`http:` only on loopback hosts, no `https:` loopback);
 * anything else is `web`. Loopback redirect URIs match on any port either way
 * ({@link allowLoopbackPorts}).
 */
/**
 * Loopback redirect URIs match on any port (RFC 8252 §7.3), `https:` ones too: MSAL's
 * interactive flow listens on a random port, and the console may be served by a relay or by a
 * local bridge (`https://127.0.0.1:<port>/redirect.html`) on any port. oidc-provider does this
 * for `native` clients' `http:` URIs only, so the check is widened on its client model.
 */
function allowLoopbackPorts(provider: Provider): void {
  const prototype = provider.Client.prototype as {
    redirectUriAllowed: (this: Client, value: string) => boolean;
  };
  const exact = prototype.redirectUriAllowed;
  prototype.redirectUriAllowed = function (this: Client, value: string): boolean {
    return (
      exact.call(this, value) ||
      (this.redirectUris ?? []).some((registered) => sameButPort(registered, value))
    );
  };
}

/** Whether two loopback URIs differ in their port at most. */
function sameButPort(registered: string, value: string): boolean {
  const a = URL.parse(registered);
  const b = URL.parse(value);
  if (a === null || b === null || !LOOPBACK_HOSTS.has(a.hostname)) return false;
  a.port = '';
  b.port = '';
  return a.href === b.href;
}

function applicationType(redirectUris: readonly string[]): 'native' | 'web' {
  const native = redirectUris.every((uri) => {
    const {protocol, hostname} = new URL(uri);
    const loopback = LOOPBACK_HOSTS.has(hostname);
    return protocol === 'http:' ? loopback : protocol !== 'https:' || !loopback;
  });
  return native ? 'native' : 'web';
}

/**
 * CORS for public clients (a single-page console calls the token endpoint): the origin of one
 * of the client's redirect URIs, any port for a loopback one.
 */
function corsAllowed(origin: string, client: Client): boolean {
  if (client.clientAuthMethod !== 'none') return false;
  const from = URL.parse(origin);
  if (!from) return false;
  return (
    client.redirectUris?.some((uri) => {
      const to = new URL(uri);
      if (to.origin === from.origin) return true;
      return (
        LOOPBACK_HOSTS.has(to.hostname) &&
        to.protocol === from.protocol &&
        to.hostname === from.hostname
      );
    }) ?? false
  );
}

/** A user as oidc-provider's account: ID token claims that fill MSAL's account. */
function userAccount(user: DevUser, tenantId: string): Account {
  return {
    accountId: user.objectId,
    claims: () => ({
      sub: user.objectId,
      oid: user.objectId,
      tid: tenantId,
      name: user.displayName,
      preferred_username: user.upn,
    }),
  };
}

/**
 * What MSAL expects in responses that oidc-provider leaves out (auth.md §3): `interval`
 * (shim 3: MSAL computes `interval * 1000` with no default) and `message` on the device
 * authorization response, and Entra's `client_info` (`{uid, utid}`) on token responses that
 * asked for it, which MSAL keys accounts by (`<oid>.<tid>`).
 */
function completeResponse(ctx: Partial<KoaContextWithOIDC>, setup: ProviderSetup): void {
  // Requests that match no route have no `oidc` context.
  const {oidc, body} = ctx as {oidc?: KoaContextWithOIDC['oidc']; body: unknown};
  if (!oidc || ctx.status !== 200 || typeof body !== 'object' || body === null) return;
  const response = body as Record<string, unknown>;
  const route = oidc.route;
  if (route === 'device_authorization') {
    response.interval ??= setup.deviceCodeIntervalSeconds;
    response.message ??= `To sign in, use a web browser to open the page ${String(response.verification_uri)} and enter the code ${String(response.user_code)} to authenticate.`;
  } else if (route === 'token' && oidc.body?.client_info === '1') {
    const account = oidc.entities.Account;
    if (account && typeof response.id_token === 'string') {
      response.client_info = Buffer.from(
        JSON.stringify({uid: account.accountId, utid: setup.directory.tenantId}),
      ).toString('base64url');
    }
  }
}

function renderPage(ctx: KoaContextWithOIDC, html: string): void {
  ctx.set(PAGE_HEADERS);
  ctx.body = html;
}

/** The user code page's message for oidc-provider's re-render errors. */
function userCodeError(err: Error): string {
  switch (err.name) {
    case 'NoCodeError':
    case 'NotFoundError':
      return 'The code you entered is not valid. Check it and try again.';
    case 'ExpiredError':
      return 'The code has expired. Start the sign-in again on your device.';
    case 'AlreadyUsedError':
      return 'The code has already been used. Start the sign-in again on your device.';
    case 'AbortedError':
      return 'The sign-in was cancelled.';
    default:
      return 'There was an error processing your request. Try again.';
  }
}

function errorCode(err: Error): string {
  return err instanceof errors.OIDCProviderError ? err.error : err.name;
}
