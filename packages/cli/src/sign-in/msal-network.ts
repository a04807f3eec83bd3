import {AuthError, ClientAuthErrorCodes} from '@azure/msal-node';
import type {INetworkModule, NetworkRequestOptions, NetworkResponse} from '@azure/msal-node';
import {egressFetch, forwardProxyFailure} from '@porthole/agent-bridge';
import type {EgressEnvironment, ForwardProxyFailure} from '@porthole/agent-bridge';

/**
 * MSAL's network client (`Configuration.system.networkClient`) for the CLI: MSAL's calls to
 * the identity provider — authority discovery, the token endpoint, device codes — go through
 * `egressFetch`, so through the forward proxy that `HTTPS_PROXY`/`NO_PROXY` name, like every
 * other call the CLI makes. MSAL's own client calls the global `fetch`, which ignores them.
 *
 * As MSAL expects of a network client: every answer is returned, whatever its status; its
 * body is the parsed JSON, or an OAuth error object (`server_error`, `client_error` or
 * `unknown_error`) saying what came instead, as msal-node 2's `node:https` client made one; its
 * headers are a plain object with lower-case names. A call that gets no answer throws MSAL's
 * `AuthError` `network_error` with the failure as its `cause`: MSAL passes an `AuthError` on
 * as it is, and replaces anything else with one that has no cause (msal-common
 * `sendPostRequest`).
 *
 * @example
 *   const network = new MsalNetworkClient(context.env);
 *   const app = new PublicClientApplication({auth, system: {networkClient: network}});
 *   try {
 *     await app.acquireTokenByDeviceCode(request);
 *   } catch (err) {
 *     throw network.proxyFailure(err) ?? err;
 *   }
 */
export class MsalNetworkClient implements INetworkModule {
  readonly #fetch: typeof fetch;
  #proxyFailure: ForwardProxyFailure | undefined;
  #unanswered: string | undefined;

  /** @param env where the proxy settings are read: the command's environment */
  constructor(env: EgressEnvironment) {
    this.#fetch = egressFetch({env});
  }

  /**
   * A `GET`, aborted after `timeout` ms when given.
   *
   * @throws AuthError `network_error` when no answer arrives
   */
  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options, timeout);
  }

  /**
   * A `POST` of `options.body` (MSAL sends forms, with their `Content-Type`).
   *
   * @throws AuthError `network_error` when no answer arrives
   */
  sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options);
  }

  /**
   * The forward proxy's failure behind `err`, an error MSAL raised: along its causes, else the
   * first one this client met. MSAL drops the cause of a failed authority discovery, and
   * reports it as an authority it cannot resolve.
   *
   * @example
   *   throw network.proxyFailure(err) ?? new CliSignInError('ERR_CLI_SIGN_IN_FAILED', …);
   */
  proxyFailure(err: unknown): ForwardProxyFailure | undefined {
    return forwardProxyFailure(err) ?? this.#proxyFailure;
  }

  /**
   * When `err` is MSAL's report of a request that got no answer — a `network_error`, or an
   * authority it could not resolve because its discovery got none — what the first such
   * request met (`GET https://login.example/…/openid-configuration failed: connect
   * ECONNREFUSED 127.0.0.1:9`), which MSAL leaves out of the latter.
   */
  unanswered(err: unknown): string | undefined {
    const code = (err as {errorCode?: unknown}).errorCode;
    return code === ClientAuthErrorCodes.networkError || code === 'endpoints_resolution_error'
      ? this.#unanswered
      : undefined;
  }

  async #send<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    const correlationId = options?.correlationId ?? '';
    let status: number;
    let headers: Record<string, string>;
    let text: string;
    try {
      const response = await this.#fetch(url, {
        method,
        headers: options?.headers ?? {},
        ...(method === 'POST' ? {body: options?.body ?? ''} : {}),
        ...(timeout ? {signal: AbortSignal.timeout(timeout)} : {}),
      });
      status = response.status;
      headers = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      text = await response.text();
    } catch (err) {
      this.#proxyFailure ??= forwardProxyFailure(err);
      const target = new URL(url);
      const what = `${method} ${target.origin}${target.pathname} failed: ${reason(err)}`;
      this.#unanswered ??= what;
      const failure = new AuthError(ClientAuthErrorCodes.networkError, correlationId, what);
      // AuthError's constructor takes no `cause`.
      throw Object.assign(failure, {cause: err});
    }
    return {headers, body: parseBody(status, headers, text) as T, status};
  }
}

/** What went wrong, from the innermost cause: `fetch` says only "fetch failed". */
function reason(err: unknown): string {
  let current = err as {cause?: unknown; message?: unknown} | undefined;
  while (current?.cause instanceof Error) current = current.cause;
  return typeof current?.message === 'string' ? current.message : String(err);
}

/**
 * The answer's JSON, or an OAuth error (RFC 6749 §5.2) that MSAL reports with the status: a
 * proxy's or a gateway's error page is not JSON.
 */
function parseBody(status: number, headers: Record<string, string>, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const error = status >= 500 ? 'server_error' : status >= 400 ? 'client_error' : 'unknown_error';
    const type = headers['content-type']?.split(';')[0]?.trim() || 'no content type';
    return {
      error,
      error_description: `The identity provider answered ${status} with ${type}, not JSON`,
    };
  }
}
