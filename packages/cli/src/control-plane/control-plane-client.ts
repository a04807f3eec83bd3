import {egressFetch, forwardProxyFailure} from '@porthole/agent-bridge';
import type {EgressEnvironment} from '@porthole/agent-bridge';
import {ControlPlaneClient as CoreControlPlaneClient} from '@porthole/core/control-plane';
import type {
  AuthenticationMethod,
  ClusterUserCredential,
  ControlPlaneClientOptions as CoreControlPlaneClientOptions,
  ControlPlaneErrors,
  RoleAssignment,
  RoleAssignmentCreate,
} from '@porthole/core/control-plane';

import {CliRelayError} from '../errors.js';

/** What {@link ControlPlaneClient} needs: core's options, less the fetch and errors (the CLI's). */
export interface ControlPlaneClientOptions extends Omit<
  CoreControlPlaneClientOptions,
  'errors' | 'fetch'
> {
  /** Where the proxy settings (`HTTPS_PROXY`, `NO_PROXY`…) are read; default `process.env`. */
  env?: EgressEnvironment;
}

/** The CLI's codes for no answer, and for an answer that is not the control plane's. */
const CLI_ERRORS: ControlPlaneErrors = {
  // A failing proxy keeps its own code and hint: they say what to fix (its credentials, its
  // policy), not the relay.
  unreachable: (message, cause) =>
    forwardProxyFailure(cause) ??
    new CliRelayError(
      message,
      'Check the relay URL and your network; porthole doctor -n CLUSTER checks step by step.',
      {cause},
    ),
  invalid: (message) => new CliRelayError(message, 'Check the relay URL.'),
};

/**
 * The `porthole` CLI's client of the relay's control plane: core's `ControlPlaneClient`,
 * through the forward proxy the environment names, asking credentials for a local proxy.
 *
 * @throws ControlPlaneError with the control plane's code for a refusal; CliRelayError
 *   `ERR_CLI_RELAY_UNREACHABLE` when the relay does not answer, or answers something else;
 *   the proxy's own `ForwardProxyError` (`ERR_TUNNEL_PROXY_*`) when the call goes through a
 *   proxy that fails
 * @example
 *   const client = new ControlPlaneClient({relay: 'https://relay.example', token});
 *   const clusters = await client.listClusters();
 */
export class ControlPlaneClient extends CoreControlPlaneClient {
  /** @param options the relay, how to get a token, and where the proxy settings are */
  constructor(options: ControlPlaneClientOptions) {
    const {env, ...rest} = options;
    super({...rest, fetch: egressFetch(env === undefined ? {} : {env}), errors: CLI_ERRORS});
  }

  /** A sender credential for `porthole proxy`, the client proxy (`clientProxy: true`). */
  override listClusterUserCredential(
    name: string,
    authenticationMethod: AuthenticationMethod = 'AAD',
  ): Promise<ClusterUserCredential> {
    return super.listClusterUserCredential(name, authenticationMethod, {clientProxy: true});
  }

  /**
   * Takes `--role` and `--assignee-type` as typed: the control plane checks them
   * (`ERR_CONTROL_INVALID_REQUEST`) and its message says what it accepts.
   */
  override createRoleAssignment(
    cluster: string,
    assignment: {principalId: string; role: string; principalType?: string; namespace?: string},
  ): Promise<RoleAssignment> {
    return super.createRoleAssignment(cluster, assignment as RoleAssignmentCreate);
  }
}
