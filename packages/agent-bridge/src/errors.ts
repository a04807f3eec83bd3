import {PortholeError} from '@porthole/core';

/** Stable error codes raised by `@porthole/agent-bridge`, listed in `docs/errors.md`. */
export type AgentBridgeErrorCode =
  | 'ERR_TUNNEL_RELAY_UNREACHABLE'
  | 'ERR_TUNNEL_NO_AGENT'
  | 'ERR_TUNNEL_CREDENTIAL_REJECTED'
  | 'ERR_TUNNEL_CERTIFICATE'
  | 'ERR_TUNNEL_RELAY_INVALID'
  | ForwardProxyErrorCode
  | 'ERR_BRIDGE_PORT_TAKEN'
  | 'ERR_BRIDGE_NOT_RUNNING'
  | 'ERR_BRIDGE_CONTROL'
  | 'ERR_BRIDGE_ORIGIN_REFUSED'
  | 'ERR_BRIDGE_SESSION_INVALID'
  | 'ERR_BRIDGE_HANDOFF_INVALID'
  | 'ERR_BRIDGE_CLUSTER_IN_USE'
  | 'ERR_AGENT_KUBECONFIG_INVALID'
  | 'ERR_AGENT_UPSTREAM'
  | 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE'
  | 'ERR_AGENT_CONTROL_PLANE_FAILED'
  | 'ERR_AGENT_CREDENTIAL_REJECTED'
  | 'ERR_AGENT_CLUSTER_NOT_FOUND'
  | 'ERR_AGENT_KEY_NOT_SAVED';

/** The failures of a connection through an HTTP(S) forward proxy (`egress/`). */
export type ForwardProxyErrorCode =
  | 'ERR_TUNNEL_PROXY_INVALID'
  | 'ERR_TUNNEL_PROXY_UNREACHABLE'
  | 'ERR_TUNNEL_PROXY_REFUSED'
  | 'ERR_TUNNEL_PROXY_PROTOCOL';

/**
 * An error of the agent or the bridge. `hint` says, in one line, what the user can do about
 * it; the CLI prints it under the message.
 */
export class AgentBridgeError extends PortholeError<AgentBridgeErrorCode> {
  readonly hint: string;

  constructor(
    code: AgentBridgeErrorCode,
    message: string,
    hint: string,
    options?: {cause?: unknown},
  ) {
    super(code, message, options);
    this.hint = hint;
  }
}

/**
 * A connection through a forward proxy failed: the proxy setting cannot be used
 * (`ERR_TUNNEL_PROXY_INVALID`), the proxy cannot be reached or dropped the connection
 * (`ERR_TUNNEL_PROXY_UNREACHABLE`), it answered `CONNECT` with a refusal
 * (`ERR_TUNNEL_PROXY_REFUSED`, with its `status`), or it did not answer as an HTTP proxy
 * (`ERR_TUNNEL_PROXY_PROTOCOL`). `proxy` is the proxy's address without credentials (none
 * for `ERR_TUNNEL_PROXY_INVALID`); no message, hint or field ever holds its password.
 */
export class ForwardProxyError extends AgentBridgeError {
  declare readonly code: ForwardProxyErrorCode;
  /** `http://host:port` (or `https://`), never with the user name or password. */
  readonly proxy: string | undefined;
  /** The proxy's status for `ERR_TUNNEL_PROXY_REFUSED`, e.g. 407. */
  readonly status: number | undefined;

  constructor(
    code: ForwardProxyErrorCode,
    message: string,
    hint: string,
    options: {proxy: string | undefined; status?: number; cause?: unknown},
  ) {
    super(code, message, hint, options.cause === undefined ? {} : {cause: options.cause});
    this.proxy = options.proxy;
    this.status = options.status;
  }
}

/** A {@link ForwardProxyError}'s fields, from whichever copy of this package raised it. */
export type ForwardProxyFailure = Error &
  Pick<ForwardProxyError, 'code' | 'hint' | 'proxy' | 'status'>;

/**
 * The forward-proxy failure along `err`'s cause chain (a `fetch` wraps it in a `TypeError`, a
 * WebSocket handshake in a `HybridConnectionError`), found by its code.
 *
 * @example
 *   const failure = forwardProxyFailure(err);
 *   if (failure?.code === 'ERR_TUNNEL_PROXY_REFUSED') console.error(failure.status);
 */
export function forwardProxyFailure(err: unknown): ForwardProxyFailure | undefined {
  let current = err as {cause?: unknown; code?: unknown} | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string' && current.code.startsWith('ERR_TUNNEL_PROXY_'))
      return current as ForwardProxyFailure;
    current = current.cause as typeof current;
  }
  return undefined;
}
