import type {HybridConnectionError} from '@porthole/core';

import {AgentBridgeError, forwardProxyFailure} from '../errors.js';
import type {RelayTarget} from './relay-target.js';

const TLS_CODES = /^(?:ERR_TLS_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|ERR_SSL_)/;

/**
 * Turns a failed relay handshake into the error a person can act on: the forward proxy on the
 * way failed (its own `ERR_TUNNEL_PROXY_*` error, as it came), the relay could not be reached,
 * its certificate is not trusted, the credential was refused, or no agent listens.
 */
export function tunnelError(
  err: unknown,
  target: RelayTarget,
  side: 'listen' | 'connect',
): AgentBridgeError {
  if (err instanceof AgentBridgeError) return err;
  // Before the status and system codes: a proxy's refusal must not read as the relay's.
  const proxyFailure = forwardProxyFailure(err);
  if (proxyFailure) return proxyFailure;
  const status = (err as Partial<HybridConnectionError>).status;
  const cause = rootCause(err);
  const where = `${target.origin}/$hc/${target.entity}`;
  if (status === 401 || status === 403) {
    return new AgentBridgeError(
      'ERR_TUNNEL_CREDENTIAL_REJECTED',
      `The relay refused the credential for ${where} (${status})`,
      side === 'listen'
        ? 'Check --sas-key-name/--sas-key (a rule with Listen) or --relay-token.'
        : 'Check --sas-key-name/--sas-key (a rule with Send) or --relay-token.',
      {cause: err},
    );
  }
  if (status === 404 && side === 'connect') {
    return new AgentBridgeError(
      'ERR_TUNNEL_NO_AGENT',
      `No agent is listening on ${where}`,
      `Start one with: porthole agent run --relay ${target.origin} --hybrid-connection ${target.entity}`,
      {cause: err},
    );
  }
  if (TLS_CODES.test(cause?.code ?? '')) {
    return new AgentBridgeError(
      'ERR_TUNNEL_CERTIFICATE',
      `The relay's certificate is not trusted (${cause?.code ?? ''})`,
      "Trust the relay's CA with NODE_EXTRA_CA_CERTS=<ca.pem>, or check the host name in --relay.",
      {cause: err},
    );
  }
  return new AgentBridgeError(
    'ERR_TUNNEL_RELAY_UNREACHABLE',
    `Cannot reach the relay at ${target.origin}${cause?.code ? ` (${cause.code})` : status ? ` (${status})` : ''}`,
    'Check --relay and that outbound connections to it are allowed.',
    {cause: err},
  );
}

function rootCause(err: unknown): {code: string} | undefined {
  let current = err as {cause?: unknown; code?: unknown} | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string' && !current.code.startsWith('ERR_HC_'))
      return {code: current.code};
    current = current.cause as typeof current;
  }
  return undefined;
}
