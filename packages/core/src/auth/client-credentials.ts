import {AuthError} from '../errors.js';

/** What {@link clientCredentialToken} needs: an app's credential at an OAuth 2.0 token endpoint. */
export interface ClientCredentialOptions {
  /** e.g. `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`. */
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** e.g. `https://graph.microsoft.com/.default`. */
  scope: string;
  /** A token is replaced this long before it expires. Default 5 min. */
  renewBeforeMs?: number;
  /** How long one token request may take. Default 10 s. */
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/**
 * An app's own access token by the client-credentials grant (RFC 6749 §4.4), fetched when
 * first asked for, kept, and fetched again shortly before it expires; concurrent callers share
 * one request.
 *
 * @returns a function giving a valid token; it rejects with `ERR_AUTH_METADATA_UNAVAILABLE`
 *   when the token endpoint refuses or cannot be reached (the message never holds the secret)
 */
export function clientCredentialToken(options: ClientCredentialOptions): () => Promise<string> {
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  let current: {token: Promise<string>; renewAt: number} | undefined;

  const request = async (): Promise<{token: string; expiresInMs: number}> => {
    let response: Response;
    try {
      response = await fetchImpl(options.tokenEndpoint, {
        method: 'POST',
        headers: {'content-type': 'application/x-www-form-urlencoded', accept: 'application/json'},
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: options.clientId,
          client_secret: options.clientSecret,
          scope: options.scope,
        }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw failed(options, `unreachable (${(err as Error).message})`, err);
    }
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
    };
    if (!response.ok || typeof body.access_token !== 'string') {
      const reason = typeof body.error === 'string' ? ` ${body.error}` : '';
      throw failed(options, `answered ${response.status}${reason}`);
    }
    const seconds = Number(body.expires_in);
    return {
      token: body.access_token,
      expiresInMs: Number.isFinite(seconds) ? seconds * 1000 : 3_600_000,
    };
  };

  return () => {
    if (current && now() < current.renewAt) return current.token;
    const started = now();
    const pending = request();
    const entry = {token: pending.then(({token}) => token), renewAt: Number.POSITIVE_INFINITY};
    current = entry;
    pending.then(
      ({expiresInMs}) => {
        entry.renewAt = started + Math.max(expiresInMs - (options.renewBeforeMs ?? 300_000), 0);
      },
      () => {
        if (current === entry) current = undefined;
      },
    );
    return entry.token;
  };
}

function failed(options: ClientCredentialOptions, why: string, cause?: unknown): AuthError {
  return new AuthError(
    'ERR_AUTH_METADATA_UNAVAILABLE',
    `Cannot get a token for ${options.clientId} (${options.scope}) from ${options.tokenEndpoint}: ${why}`,
    {cause},
  );
}
