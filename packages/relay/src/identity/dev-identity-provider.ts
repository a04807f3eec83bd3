import {randomBytes} from 'node:crypto';
import type {JsonWebKey, KeyObject} from 'node:crypto';
import {once} from 'node:events';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {createServer, request} from 'node:https';
import type {Server} from 'node:https';
import type {AddressInfo} from 'node:net';
import {parse as parseQuery} from 'node:querystring';
import type {ParsedUrlQuery} from 'node:querystring';

import {CertificateAuthority} from '@porthole/core';
import type {Provider} from 'oidc-provider';

import {RelayError} from '../errors.js';
import {stderrLogger} from '../options.js';
import type {RelayLogger} from '../options.js';
import {ArtifactStore} from './artifact-store.js';
import {validateDevDirectory} from './dev-directory.js';
import type {DevDirectory} from './dev-directory.js';
import {DirectoryIndex} from './directory-index.js';
import {GraphApi} from './graph-api.js';
import {hasContentType, readBody, sendJson} from './http-io.js';
import {DEFAULT_DEV_IDENTITY_LIMITS, checkNumericOptions} from './identity-options.js';
import type {DevIdentityLimits} from './identity-options.js';
import {PASSWORD_GRANT} from './password-grant.js';
import {DEVICE_CODE_GRANT, ENTRA_ROUTES, createOidcProvider} from './provider-configuration.js';
import type {ProviderSetup} from './provider-configuration.js';
import {SignInInteraction} from './sign-in-interaction.js';
import {generateIdentitySigningKey, signingKey} from './signing-keys.js';
import type {SigningKey} from './signing-keys.js';

/** How a {@link DevIdentityProvider} is started. */
export interface DevIdentityProviderOptions {
  /** The tenant it serves; validated first. */
  directory: DevDirectory;
  /** The address to listen on and to name in every URL. Default `127.0.0.1`. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * The server certificate and key, PEM, valid for `host`. `caPem` is what clients must trust;
   * without it, the certificate itself (when self-signed). Default: a fresh CA and certificate.
   */
  tls?: {certPem: string; keyPem: string; caPem?: string};
  /**
   * RS256 private JWKs; the first signs, all are published. Default: one fresh 2048-bit key.
   * Secrets: never logged.
   */
  keys?: readonly JsonWebKey[];
  /** More groups than this and a token carries the overage pair instead of `groups`. Default 200, as Entra. */
  overageThreshold?: number;
  /** Lifetime of access tokens. Default 3600 s. */
  accessTokenTtlSeconds?: number;
  /** The `interval` the device authorization response tells clients to poll at. Default 5 s. */
  deviceCodeIntervalSeconds?: number;
  /** The audience of Graph tokens (scope `<audience>/.default`). Default `https://graph.microsoft.com`. */
  graphAudience?: string;
  limits?: Partial<DevIdentityLimits>;
  /** Default: JSON lines on stderr. Events never hold tokens, secrets or passwords. */
  log?: RelayLogger;
}

/** A token endpoint response as Entra's, which MSAL takes (`client_info` when asked for). */
export interface DevTokenResponse {
  token_type: string;
  scope: string;
  expires_in: number;
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  client_info?: string;
}

/** Who signs in with {@link DevIdentityProvider.signIn}, and for what. */
export interface DevSignInOptions {
  /** The public client to sign in to. Default: the directory's first public client. */
  clientId?: string;
  /** Needed only if the seed gives the user a password. Never logged. */
  password?: string;
  /** Default: `api://<api>/user_impersonation openid profile offline_access`, as MSAL asks. */
  scopes?: readonly string[];
}

const GRAPH_PATH = '/graph';
/** Entra's JWT overage threshold (auth.md §1). */
const DEFAULT_OVERAGE_THRESHOLD = 200;
const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3600;
const DEFAULT_DEVICE_CODE_INTERVAL_SECONDS = 5;
const DEFAULT_GRAPH_AUDIENCE = 'https://graph.microsoft.com';

/**
 * An OpenID provider that looks like Microsoft Entra ID to MSAL, to `jose` and to Porthole
 * (auth.md §4), for development and tests: oidc-provider behind its own HTTPS server, with the
 * issuer `https://host:port/{tenantId}/v2.0`, Entra's endpoint paths and v2 access-token
 * claims, over a seeded {@link DevDirectory}.
 *
 * - Flows: authorization code with PKCE (sign-in form at `/{tid}/v2.0/login/{uid}`), device
 *   code (with MSAL's shims), client credentials, refresh tokens, and — here only — the
 *   password grant, for scripted sign-in ({@link signIn}).
 * - A fake Microsoft Graph at {@link graphBaseUrl} (`/v1.0/…/getMemberObjects` and friends)
 *   for group overage.
 * - Key rotation ({@link rotateKeys}): a new key signs, old ones stay published.
 *
 * @example
 *   const idp = await DevIdentityProvider.start({directory: await loadDevDirectory('dev-directory.json')});
 *   const msal = new PublicClientApplication({
 *     auth: {clientId, authority: idp.authority, knownAuthorities: [idp.knownAuthority]},
 *   });
 *   const tokens = await idp.signIn('alice');
 *   await idp.close();
 */
export class DevIdentityProvider {
  /** `https://host:port/{tenantId}/v2.0`: the `iss` of every token. */
  readonly issuer: string;
  /**
   * The MSAL authority: the issuer, ending in `/v2.0` so that MSAL reads
   * `{authority}/.well-known/openid-configuration` (auth.md §3).
   */
  readonly authority: string;
  /** `host:port`, for MSAL's `knownAuthorities`, which skips instance discovery at Microsoft. */
  readonly knownAuthority: string;
  /** The fake Graph, `https://host:port/graph`: requests go to `${graphBaseUrl}/v1.0/…`. */
  readonly graphBaseUrl: string;
  /** The audience of Graph tokens. */
  readonly graphAudience: string;
  /** The PEM certificate clients must trust. */
  readonly caPem: string;
  readonly tenantId: string;
  /** The directory served, normalized (lower-case ids). */
  readonly directory: DevDirectory;
  readonly #server: Server;
  readonly #index: DirectoryIndex;
  readonly #setup: Omit<ProviderSetup, 'keys'>;
  readonly #limits: DevIdentityLimits;
  readonly #log: RelayLogger;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #interaction: SignInInteraction;
  readonly #graph: GraphApi;
  #keys: readonly SigningKey[];
  #provider: Provider;
  #callback: (req: IncomingMessage, res: ServerResponse) => Promise<void>;

  private constructor(init: {
    server: Server;
    index: DirectoryIndex;
    origin: string;
    caPem: string;
    keys: readonly SigningKey[];
    graphAudience: string;
    settings: Pick<
      ProviderSetup,
      'overageThreshold' | 'accessTokenTtlSeconds' | 'deviceCodeIntervalSeconds'
    >;
    limits: DevIdentityLimits;
    log: RelayLogger;
  }) {
    const {server, index, origin, limits, log} = init;
    this.#server = server;
    this.#index = index;
    this.#origin = origin;
    this.#limits = limits;
    this.#log = log;
    this.#keys = init.keys;
    this.tenantId = index.tenantId;
    this.directory = index.directory;
    this.#prefix = `/${index.tenantId}/v2.0`;
    this.issuer = `${origin}${this.#prefix}`;
    this.authority = this.issuer;
    this.knownAuthority = new URL(origin).host;
    this.graphBaseUrl = `${origin}${GRAPH_PATH}`;
    this.graphAudience = init.graphAudience;
    this.caPem = init.caPem;
    this.#setup = {
      directory: index,
      issuer: this.issuer,
      loginPath: (uid) => `${this.#prefix}/login/${uid}`,
      graphBaseUrl: this.graphBaseUrl,
      graphAudience: this.graphAudience,
      cookieKeys: [randomBytes(32).toString('base64url')],
      store: new ArtifactStore(limits.maxStoredArtifacts),
      ...init.settings,
      log,
    };
    this.#provider = createOidcProvider({...this.#setup, keys: this.#keys});
    this.#callback = this.#provider.callback();
    this.#interaction = new SignInInteraction({
      provider: () => this.#provider,
      directory: index,
      loginPath: this.#setup.loginPath,
      maxRequestBodyBytes: limits.maxRequestBodyBytes,
      log,
    });
    this.#graph = new GraphApi({
      directory: index,
      baseUrl: this.graphBaseUrl,
      issuer: this.issuer,
      audience: this.graphAudience,
      keys: () => new Map<string, KeyObject>(this.#keys.map((key) => [key.kid, key.publicKey])),
      maxRequestBodyBytes: limits.maxRequestBodyBytes,
      maxMemberObjects: limits.graphMaxMemberObjects,
    });
  }

  /**
   * Validates the directory and the keys, and starts serving.
   *
   * @throws RelayError `ERR_IDENTITY_SEED_INVALID` for a directory that does not validate (or
   *   whose client applications oidc-provider refuses), `ERR_IDENTITY_KEY_INVALID` for a key
   *   that is not an RS256 private key (or the same key twice), `ERR_IDENTITY_OPTIONS_INVALID`
   *   for a threshold, lifetime, interval or limit that is not a positive integer (the
   *   threshold may be 0), `ERR_RELAY_LISTEN_FAILED` when the address cannot be bound
   */
  static async start(options: DevIdentityProviderOptions): Promise<DevIdentityProvider> {
    const index = new DirectoryIndex(validateDevDirectory(options.directory));
    const limits = {...DEFAULT_DEV_IDENTITY_LIMITS, ...options.limits};
    const settings = {
      overageThreshold: options.overageThreshold ?? DEFAULT_OVERAGE_THRESHOLD,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
      deviceCodeIntervalSeconds:
        options.deviceCodeIntervalSeconds ?? DEFAULT_DEVICE_CODE_INTERVAL_SECONDS,
    };
    checkNumericOptions({...settings, limits});
    const graphAudience = options.graphAudience ?? DEFAULT_GRAPH_AUDIENCE;
    if (!URL.parse(graphAudience) || graphAudience.endsWith('/')) {
      throw new RelayError(
        'ERR_IDENTITY_OPTIONS_INVALID',
        `Invalid identity provider option: graphAudience "${graphAudience}" must be an absolute URI without a trailing slash`,
      );
    }
    const keys = options.keys
      ? options.keys.map((key, i) => signingKey(key, `keys[${i}]`))
      : [signingKey(await generateIdentitySigningKey(), 'the generated key')];
    if (keys.length === 0) {
      throw new RelayError('ERR_IDENTITY_KEY_INVALID', 'Invalid signing keys: none given');
    }
    assertDistinct(keys);
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 0;
    const log = options.log ?? stderrLogger;
    const {tls, caPem} = options.tls
      ? {tls: options.tls, caPem: options.tls.caPem ?? options.tls.certPem}
      : await generatedTls(host);
    const server = createServer({
      cert: tls.certPem,
      key: tls.keyPem,
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: 1000,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      throw new RelayError('ERR_RELAY_LISTEN_FAILED', `Cannot listen on ${host}:${port}`, {
        cause: err,
      });
    }
    const address = server.address() as AddressInfo;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const identity = new DevIdentityProvider({
      server,
      index,
      origin: `https://${urlHost}:${address.port}`,
      caPem,
      keys,
      graphAudience,
      settings,
      limits,
      log,
    });
    try {
      await identity.#checkClients();
    } catch (err) {
      await identity.close();
      throw err;
    }
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      identity.#onRequest(req, res).catch((err: unknown) => {
        log('identity.request-failed', {
          path: req.url?.split('?')[0],
          error: (err as Error).message,
        });
        if (!res.headersSent) sendJson(res, 500, {error: 'server_error'});
        else res.destroy();
      });
    });
    log('identity.started', {issuer: identity.issuer, signingKey: keys[0]?.kid});
    return identity;
  }

  /** The JWKS URL, as discovery publishes it (`jwks_uri`). */
  get jwksUri(): string {
    return `${this.issuer}${ENTRA_ROUTES.jwks}`;
  }

  /** The token endpoint, as discovery publishes it. */
  get tokenEndpoint(): string {
    return `${this.issuer}${ENTRA_ROUTES.token}`;
  }

  /** The `kid`s published, the signing one first. */
  get signingKeyIds(): readonly string[] {
    return this.#keys.map((key) => key.kid);
  }

  /**
   * Rotates the signing key, as Entra may at any time (auth.md §2): the new key signs from now
   * on, and every older key stays in the JWKS, so tokens signed before still verify. Sessions,
   * grants and refresh tokens survive; the port and the issuer do not change.
   *
   * @param newKey an RS256 private JWK; default a fresh 2048-bit key
   * @returns the new key's `kid`
   * @throws RelayError `ERR_IDENTITY_KEY_INVALID` for a key that is not an RS256 private key or
   *   is already published
   */
  async rotateKeys(newKey?: JsonWebKey): Promise<string> {
    const key = signingKey(newKey ?? (await generateIdentitySigningKey()), 'the new key');
    const keys = [key, ...this.#keys];
    assertDistinct(keys);
    const provider = createOidcProvider({...this.#setup, keys});
    this.#keys = keys;
    this.#provider = provider;
    this.#callback = provider.callback();
    this.#log('identity.keys-rotated', {signingKey: key.kid, published: this.signingKeyIds});
    return key.kid;
  }

  /**
   * Signs a seeded user in without a browser — what `porthole login --dev-user <name>` does —
   * through this provider's dev-only password grant (`grant_type=password`, as Entra's ROPC):
   * the response carries access, ID and refresh tokens, as MSAL's would, and the refresh token
   * works with MSAL's `acquireTokenSilent`. Other processes reach the same grant over HTTP, or
   * with MSAL's `acquireTokenByUsernamePassword`.
   *
   * @param user the sign-in name or UPN
   * @throws RelayError `ERR_IDENTITY_SIGN_IN_FAILED` when the provider refuses (an unknown user,
   *   a wrong password, an unknown client or scope); the message holds the OAuth error
   */
  async signIn(user: string, options: DevSignInOptions = {}): Promise<DevTokenResponse> {
    const clientId = options.clientId ?? this.directory.publicClients?.[0]?.clientId;
    if (clientId === undefined) {
      throw new RelayError(
        'ERR_IDENTITY_SIGN_IN_FAILED',
        `Sign-in of "${user}" refused: the directory has no public client`,
      );
    }
    const scopes = options.scopes ?? [
      `${this.#index.apiUri}/user_impersonation`,
      'openid',
      'profile',
      'offline_access',
    ];
    const form = new URLSearchParams({
      grant_type: PASSWORD_GRANT,
      client_id: clientId,
      username: user,
      password: options.password ?? '',
      scope: scopes.join(' '),
      client_info: '1',
    });
    const {status, body} = await this.#post(this.tokenEndpoint, form.toString());
    if (status !== 200) {
      const error = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
      const description =
        typeof body.error_description === 'string' ? ` (${body.error_description})` : '';
      throw new RelayError(
        'ERR_IDENTITY_SIGN_IN_FAILED',
        `Sign-in of "${user}" refused: ${error}${description}`,
      );
    }
    return body as unknown as DevTokenResponse;
  }

  /** Stops serving and drops every connection. */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = once(this.#server, 'close');
    this.#server.close();
    this.#server.closeAllConnections();
    await closed;
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#origin);
    const path = url.pathname;
    const login = `${this.#prefix}/login/`;
    if (path.startsWith(login) && !path.slice(login.length).includes('/')) {
      await this.#interaction.handle(req, res, path.slice(login.length));
    } else if (path.startsWith(`${this.#prefix}/`)) {
      await this.#toProvider(req, res, url);
    } else if (path.startsWith(`${GRAPH_PATH}/`)) {
      await this.#graph.handle(req, res, url);
    } else {
      sendJson(res, 404, {error: 'not_found', error_description: `Nothing at ${path}`});
    }
  }

  /**
   * Hands a request to oidc-provider, mounted below `/{tid}/v2.0`: it reads its mount path
   * from `originalUrl` (auth.md §4). Form posts are parsed here first, within
   * `maxRequestBodyBytes` (oidc-provider's own bound is a fixed 56 KiB), and token requests
   * get MSAL's shims; oidc-provider takes a parsed `req.body`, with a one-time console notice.
   */
  async #toProvider(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = url.pathname.slice(this.#prefix.length);
    if (req.method === 'POST' && hasContentType(req, 'application/x-www-form-urlencoded')) {
      const raw = await readBody(req, this.#limits.maxRequestBodyBytes);
      if (raw === undefined) {
        sendJson(
          res,
          413,
          {
            error: 'invalid_request',
            error_description: `the request body exceeds ${this.#limits.maxRequestBodyBytes} bytes`,
          },
          {connection: 'close'},
        );
        return;
      }
      const params = parseQuery(raw.toString('utf8'));
      if (route === ENTRA_ROUTES.token) shimTokenRequest(params);
      Object.assign(req, {body: params});
    }
    Object.assign(req, {originalUrl: `${url.pathname}${url.search}`});
    req.url = `${route}${url.search}`;
    await this.#callback(req, res);
  }

  /** oidc-provider validates static clients when first used: make that now, at start. */
  async #checkClients(): Promise<void> {
    const ids = [
      ...(this.directory.publicClients ?? []).map((client) => client.clientId),
      ...(this.directory.servicePrincipals ?? []).map((sp) => sp.clientId),
    ];
    for (const id of ids) {
      try {
        await this.#provider.Client.find(id);
      } catch (err) {
        throw new RelayError(
          'ERR_IDENTITY_SEED_INVALID',
          `Invalid identity seed: client ${id} is refused (${(err as {error_description?: string}).error_description ?? (err as Error).message})`,
          {cause: err},
        );
      }
    }
  }

  /** A form POST to this provider itself, trusting its own certificate. */
  async #post(url: string, form: string): Promise<{status: number; body: Record<string, unknown>}> {
    const req = request(url, {
      method: 'POST',
      ca: this.caPem,
      agent: false,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(form),
        accept: 'application/json',
      },
    });
    req.end(form);
    let res: IncomingMessage;
    try {
      [res] = (await once(req, 'response')) as [IncomingMessage];
    } catch (err) {
      throw new RelayError(
        'ERR_IDENTITY_SIGN_IN_FAILED',
        `Cannot reach the token endpoint (${(err as Error).message})`,
        {cause: err},
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new RelayError(
        'ERR_IDENTITY_SIGN_IN_FAILED',
        `The token endpoint answered ${res.statusCode ?? 0} without JSON`,
        {cause: err},
      );
    }
    return {status: res.statusCode ?? 0, body: body as Record<string, unknown>};
  }
}

/** MSAL's token requests as oidc-provider takes them. */
function shimTokenRequest(params: ParsedUrlQuery): void {
  // auth.md §3, shim 2: MSAL's device code polls say `device_code`, not RFC 8628's URN.
  if (params.grant_type === 'device_code') params.grant_type = DEVICE_CODE_GRANT;
  // auth.md §4: oidc-provider leaves `offline_access` out of refresh tokens (without
  // prompt=consent) and MSAL asks for it again on refresh: "refresh token missing requested scope".
  if (params.grant_type === 'refresh_token' && typeof params.scope === 'string') {
    params.scope = params.scope
      .split(' ')
      .filter((scope) => scope !== 'offline_access')
      .join(' ');
  }
}

/** A fresh CA and a server certificate for `host`, as when no TLS material is given. */
async function generatedTls(
  host: string,
): Promise<{tls: {certPem: string; keyPem: string}; caPem: string}> {
  const ca = await CertificateAuthority.create('porthole-dev-identity-ca');
  const tls = await ca.issue({commonName: 'porthole-dev-identity', hosts: [host], usage: 'server'});
  return {tls, caPem: ca.certPem};
}

function assertDistinct(keys: readonly SigningKey[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key.kid)) {
      throw new RelayError(
        'ERR_IDENTITY_KEY_INVALID',
        `Invalid signing key: kid "${key.kid}" is published twice`,
      );
    }
    seen.add(key.kid);
  }
}
