import {errors} from 'oidc-provider';
import type {
  Account,
  Client,
  ResourceServer,
  ResourceServerInstance,
  TokenEndpointGrantContext,
} from 'oidc-provider';

import type {RelayLogger} from '../options.js';
import type {DevUser} from './dev-directory.js';
import type {DirectoryIndex} from './directory-index.js';

/**
 * The resource owner password credentials grant (RFC 6749 §4.3), as Entra's v2 token endpoint
 * takes it (`grant_type=password`, `username`, `password`, `scope`) and MSAL's deprecated
 * `acquireTokenByUsernamePassword` sends it. It exists only in this development provider, for
 * scripted sign-in (`porthole login --dev-user`) and tests; Porthole never asks it of Entra.
 */
export const PASSWORD_GRANT = 'password';

/** Parameters the grant reads beyond `grant_type`. */
export const PASSWORD_GRANT_PARAMETERS = ['username', 'password', 'scope'] as const;

/** Scopes that are about the ID and refresh tokens rather than a resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

/** What the grant needs from the provider. */
export interface PasswordGrantOptions {
  directory: DirectoryIndex;
  account: (user: DevUser) => Account;
  resourceServer: (resource: string, client: Client) => ResourceServer;
  /** `api://<api>`: the only resource users get tokens for. */
  apiUri: string;
  log: RelayLogger;
}

/**
 * The grant handler. It answers as the authorization code grant does: a JWT access token for
 * the API, an ID token with `openid`, and a refresh token with `offline_access`, all under one
 * saved grant, so that the refresh token grant and MSAL's silent renewal work unchanged.
 * A wrong user name or password is `invalid_grant`, as Entra's AADSTS50126.
 */
export function passwordGrant(
  options: PasswordGrantOptions,
): (ctx: TokenEndpointGrantContext<{username?: string; password?: string}>) => Promise<void> {
  const {directory} = options;
  return async (ctx) => {
    const {client, params, provider} = ctx.oidc;
    if (!params.username) throw new errors.InvalidRequest("missing required parameter 'username'");
    const user = directory.authenticate(params.username, params.password ?? '');
    if (!user) {
      options.log('identity.sign-in-refused', {client: client.clientId, grant: PASSWORD_GRANT});
      throw new errors.InvalidGrant('invalid user name or password');
    }
    const requested = new Set((params.scope ?? '').split(' ').filter(Boolean));
    const resourceScopes = [...requested].filter((scope) => scope.startsWith(`${options.apiUri}/`));
    if (resourceScopes.length === 0) {
      throw new errors.InvalidScope(
        `scope must include a scope of ${options.apiUri}`,
        [...requested].join(' '),
      );
    }
    const info = options.resourceServer(options.apiUri, client);
    const known = new Set(info.scope.split(' '));
    const unknown = resourceScopes.find((scope) => !known.has(scope));
    if (unknown !== undefined)
      throw new errors.InvalidScope('requested scope is not valid', unknown);
    const oidcScopes = [...requested].filter((scope) => OIDC_SCOPES.has(scope));

    const account = options.account(user);
    ctx.oidc.entity('Account', account);
    const grant = new provider.Grant({clientId: client.clientId, accountId: account.accountId});
    grant.addOIDCScope(oidcScopes);
    grant.addResourceScope(options.apiUri, resourceScopes);
    const grantId = await grant.save();

    const accessToken = new provider.AccessToken({
      accountId: account.accountId,
      client,
      grantId,
      gty: PASSWORD_GRANT,
      scope: resourceScopes.join(' '),
    });
    accessToken.resourceServer = resourceServerInstance(options.apiUri, info);
    ctx.oidc.entity('AccessToken', accessToken);
    const accessTokenValue = await accessToken.save();

    let refreshToken: string | undefined;
    if (requested.has('offline_access') && client.grantTypeAllowed('refresh_token')) {
      refreshToken = await new provider.RefreshToken({
        accountId: account.accountId,
        client,
        grantId,
        gty: PASSWORD_GRANT,
        scope: [...oidcScopes, ...resourceScopes].join(' '),
        resource: options.apiUri,
        authTime: Math.floor(Date.now() / 1000),
        rotations: 0,
      }).save();
    }

    let idToken: string | undefined;
    if (requested.has('openid')) {
      const token = new provider.IdToken(
        {...(await account.claims('id_token', oidcScopes.join(' '), {}, []))},
        {ctx},
      );
      // IdToken filters the claims by the scope it is given (the `claims` configuration).
      Object.assign(token, {scope: oidcScopes.join(' ')});
      idToken = await token.issue({use: 'idtoken'});
    }

    options.log('identity.signed-in', {
      user: user.objectId,
      client: client.clientId,
      grant: PASSWORD_GRANT,
    });
    ctx.body = {
      token_type: accessToken.tokenType,
      scope: resourceScopes.join(' '),
      expires_in: accessToken.expiration,
      access_token: accessTokenValue,
      ...(refreshToken === undefined ? {} : {refresh_token: refreshToken}),
      ...(idToken === undefined ? {} : {id_token: idToken}),
    };
  };
}

/** oidc-provider's ResourceServer shape, which its token models read `audience` and `jwt` from. */
function resourceServerInstance(identifier: string, info: ResourceServer): ResourceServerInstance {
  return {...info, scopes: new Set(info.scope.split(' ')), identifier: () => identifier};
}
