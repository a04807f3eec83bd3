import {PortholeError} from '@porthole/core';

/** Stable error codes raised by `@porthole/agent-bridge`, listed in `docs/errors.md`. */
export type AgentBridgeErrorCode =
  | 'ERR_TUNNEL_RELAY_UNREACHABLE'
  | 'ERR_TUNNEL_NO_AGENT'
  | 'ERR_TUNNEL_CREDENTIAL_REJECTED'
  | 'ERR_TUNNEL_CERTIFICATE'
  | 'ERR_TUNNEL_RELAY_INVALID'
  | 'ERR_BRIDGE_PORT_TAKEN'
  | 'ERR_BRIDGE_NOT_RUNNING'
  | 'ERR_BRIDGE_CONTROL'
  | 'ERR_AGENT_KUBECONFIG_INVALID'
  | 'ERR_AGENT_UPSTREAM'
  | 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE'
  | 'ERR_AGENT_CONTROL_PLANE_FAILED'
  | 'ERR_AGENT_CREDENTIAL_REJECTED'
  | 'ERR_AGENT_CLUSTER_NOT_FOUND'
  | 'ERR_AGENT_KEY_NOT_SAVED';

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
