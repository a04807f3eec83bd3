import type {OutgoingHttpHeaders} from 'node:http';

/** What the agent does with a request once it knows who sent it. */
export type AuthDecision =
  /**
   * Forward it; `set` replaces headers (e.g. `authorization` and `impersonate-*`);
   * `explainForbidden` is added to the message of a 403 from the apiserver.
   */
  | {kind: 'forward'; set: Record<string, string | string[]>; explainForbidden?: string}
  /** Answer it here with a Kubernetes `Status`. */
  | {kind: 'deny'; status: 401 | 403; reason: string; message: string};

/** What an authenticator sees of a request. */
export interface AuthRequest {
  method: string;
  path: string;
  /** The headers the client sent, hop-by-hop and identity headers already removed. */
  headers: OutgoingHttpHeaders;
}

/**
 * The agent's authentication stage: it decides, per request, how the caller reaches the
 * apiserver. The identity issue adds Entra tokens mapped to impersonation; the default passes
 * every request through for the apiserver to judge.
 */
export interface Authenticator {
  authenticate(request: AuthRequest): Promise<AuthDecision>;
}

/**
 * Service-account tokens (and any other credential the apiserver knows) pass through
 * unchanged, and the apiserver decides.
 */
export const passThrough: Authenticator = {
  authenticate: () => Promise.resolve({kind: 'forward', set: {}}),
};
