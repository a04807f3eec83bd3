import {InteractionRequiredAuthError, PublicClientApplication} from '@azure/msal-browser';
import type {AccountInfo} from '@azure/msal-browser';

import type {SignInSettings} from '../config/porthole-settings.js';
import {WebError} from '../errors.js';
import {serverScope} from '@porthole/core/auth';

import {msalConfiguration} from './msal-configuration.js';

/** Who is signed in, as the console shows them. */
export interface SignedInAccount {
  /** The display name, e.g. `Ada Lovelace`. */
  name: string;
  /** The sign-in name (UPN), e.g. `ada@contoso.example`. */
  username: string;
  /** The object id role assignments name, when the ID token carries it. */
  objectId: string | undefined;
}

/** How an interactive sign-in runs: the whole page goes to the provider, or a pop-up does. */
export type SignInMode = 'redirect' | 'popup';

/** An access token and when it expires. */
export interface AccessTokenGrant {
  token: string;
  expiresAtMs: number;
}

/** Entra's shortest access-token lifetime: assumed when MSAL does not say. */
const DEFAULT_TOKEN_LIFETIME_MS = 10 * 60 * 1000;

/** Remembers, for this tab, that the user signed out: the next sign-in asks for credentials. */
const SIGNED_OUT_KEY = 'porthole.signed-out';

/**
 * A user's sign-in to a relay's identity provider through MSAL, shared by every element on a
 * page that uses the same authority and client (see {@link signInSessionFor}). It fires
 * `change` when the account changes.
 *
 * Sign-out forgets the account and its tokens in this browser; the provider's own session
 * stays, so the next sign-in asks for credentials again (`prompt=login`) rather than
 * signing straight back in.
 *
 * @example
 *   const session = await SignInSession.open(settings.authentication, {redirectUri});
 *   if (!session.account) await session.signIn('redirect');
 *   const token = await session.accessToken();
 */
export class SignInSession extends EventTarget {
  readonly settings: SignInSettings;
  readonly #app: PublicClientApplication;
  /** Why the last interactive sign-in failed, for the page to show. */
  #error: WebError | undefined;

  private constructor(settings: SignInSettings, app: PublicClientApplication) {
    super();
    this.settings = settings;
    this.#app = app;
  }

  /**
   * Starts MSAL and completes a sign-in that just came back through the redirect bridge.
   *
   * @param settings the authority and the client
   * @param options `redirectUri`: the redirect bridge page registered for the client
   */
  static async open(
    settings: SignInSettings,
    options: {redirectUri: string},
  ): Promise<SignInSession> {
    const app = new PublicClientApplication(msalConfiguration(settings, options.redirectUri));
    await app.initialize();
    const session = new SignInSession(settings, app);
    try {
      const result = await app.handleRedirectPromise();
      if (result?.account) session.#signedIn(result.account);
    } catch (cause) {
      session.#error = signInFailed(cause);
    }
    if (!app.getActiveAccount()) {
      const [account] = app.getAllAccounts();
      if (account) app.setActiveAccount(account);
    }
    return session;
  }

  /** The signed-in account, or `undefined`. */
  get account(): SignedInAccount | undefined {
    const account = this.#app.getActiveAccount();
    if (!account) return undefined;
    const oid = account.idTokenClaims?.oid;
    return {
      name: account.name ?? account.username,
      username: account.username,
      objectId: typeof oid === 'string' ? oid : account.localAccountId || undefined,
    };
  }

  /** Why the last interactive sign-in failed, if it did. */
  get error(): WebError | undefined {
    return this.#error;
  }

  /**
   * Signs in interactively. `redirect` leaves the page (and comes back to it through the
   * redirect bridge); `popup` must run from a click, and resolves once signed in.
   *
   * @throws WebError `ERR_WEB_SIGN_IN_FAILED` when the pop-up is blocked or closed, or the
   *   provider refuses
   */
  async signIn(mode: SignInMode): Promise<void> {
    const request = {
      scopes: [serverScope(this.settings.serverApp)],
      ...(sessionStorage.getItem(SIGNED_OUT_KEY) === null ? {} : {prompt: 'login'}),
    };
    this.#error = undefined;
    try {
      if (mode === 'redirect') {
        await this.#app.loginRedirect({...request, redirectStartPage: location.href});
        return;
      }
      const result = await this.#app.loginPopup(request);
      this.#signedIn(result.account);
    } catch (cause) {
      this.#error = signInFailed(cause);
      this.dispatchEvent(new Event('change'));
      throw this.#error;
    }
  }

  /** Forgets the account and its tokens in this browser. */
  async signOut(): Promise<void> {
    const account = this.#app.getActiveAccount();
    await this.#app.clearCache(account ? {account} : {});
    this.#app.setActiveAccount(null);
    sessionStorage.setItem(SIGNED_OUT_KEY, '1');
    this.dispatchEvent(new Event('change'));
  }

  /**
   * An access token for the server app, from MSAL's cache or refreshed silently.
   *
   * @throws WebError `ERR_WEB_SIGN_IN_REQUIRED` when no one is signed in or the sign-in has
   *   lapsed (the account is then forgotten), `ERR_WEB_SIGN_IN_FAILED` for anything else
   */
  async accessToken(): Promise<string> {
    return (await this.accessTokenGrant()).token;
  }

  /**
   * {@link accessToken} with its expiry: for handing the session to a local bridge, which must
   * be given a new token before it runs out.
   *
   * @throws WebError as {@link accessToken}
   */
  async accessTokenGrant(): Promise<AccessTokenGrant> {
    const account = this.#app.getActiveAccount();
    if (!account) throw signInRequired('No one is signed in');
    try {
      const result = await this.#app.acquireTokenSilent({
        account,
        scopes: [serverScope(this.settings.serverApp)],
      });
      return {
        token: result.accessToken,
        expiresAtMs: result.expiresOn?.getTime() ?? Date.now() + DEFAULT_TOKEN_LIFETIME_MS,
      };
    } catch (cause) {
      if (cause instanceof InteractionRequiredAuthError) {
        this.#app.setActiveAccount(null);
        this.dispatchEvent(new Event('change'));
        throw signInRequired(`The sign-in of ${account.username} has lapsed`, cause);
      }
      throw signInFailed(cause);
    }
  }

  #signedIn(account: AccountInfo): void {
    this.#app.setActiveAccount(account);
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    this.dispatchEvent(new Event('change'));
  }
}

function signInRequired(message: string, cause?: unknown): WebError {
  return new WebError('ERR_WEB_SIGN_IN_REQUIRED', `${message}: sign in again`, {cause});
}

/** MSAL's error code and description say what happened; neither holds a token. */
function signInFailed(cause: unknown): WebError {
  const {errorCode, errorMessage} = (cause ?? {}) as {errorCode?: unknown; errorMessage?: unknown};
  const detail =
    typeof errorCode === 'string'
      ? `${errorCode}${typeof errorMessage === 'string' && errorMessage !== '' ? `: ${firstLine(errorMessage)}` : ''}`
      : cause instanceof Error
        ? cause.message
        : 'unknown error';
  return new WebError('ERR_WEB_SIGN_IN_FAILED', `The sign-in did not complete (${detail})`, {
    cause,
  });
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 200);
}

const sessions = new Map<string, Promise<SignInSession>>();

/**
 * The page's one session for an authority and client: every element that signs in with them
 * shares it, so signing in once signs in all of them.
 *
 * @param settings the authority and the client
 * @param redirectUri default: `redirect.html` beside the page
 */
export function signInSessionFor(
  settings: SignInSettings,
  redirectUri: string = new URL('redirect.html', document.baseURI).href,
): Promise<SignInSession> {
  const key = `${settings.authority}|${settings.clientId}|${settings.serverApp}`;
  let session = sessions.get(key);
  if (session === undefined) {
    session = SignInSession.open(settings, {redirectUri});
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  return session;
}
