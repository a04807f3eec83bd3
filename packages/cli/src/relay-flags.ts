import type {RelayTarget, TunnelMode} from '@porthole/agent-bridge';
import {relayOrigin} from '@porthole/agent-bridge';

import type {CliContext} from './command.js';
import {CliUsageError} from './errors.js';

/** The `parseArgs` options every command that reaches a relay directly takes. */
export const RELAY_OPTIONS = {
  relay: {type: 'string'},
  'hybrid-connection': {type: 'string'},
  'sas-key-name': {type: 'string'},
  'sas-key': {type: 'string'},
  'relay-token': {type: 'string'},
  /** auto (the default where it is not stated otherwise), mux or websocket. */
  tunnel: {type: 'string'},
} as const;

type RelayValues = {
  relay?: string | undefined;
  'hybrid-connection'?: string | undefined;
  'sas-key-name'?: string | undefined;
  'sas-key'?: string | undefined;
  'relay-token'?: string | undefined;
  tunnel?: string | undefined;
};

/**
 * The relay target from `--relay`, `--hybrid-connection` and a credential: `--sas-key-name`
 * with `--sas-key` (or `PORTHOLE_SAS_KEY`), or `--relay-token` (or `PORTHOLE_RELAY_TOKEN`).
 * The environment variables keep keys out of process listings.
 *
 * @param defaultEntity the hybrid connection when `--hybrid-connection` is absent
 * @throws CliUsageError naming the missing or conflicting flag (never a key)
 */
export function relayTarget(
  values: RelayValues,
  context: CliContext,
  command: string,
  defaultEntity?: string,
): {target: RelayTarget; mode: TunnelMode} {
  const hint = `Run "porthole ${command} --help" for its options.`;
  if (!values.relay)
    throw new CliUsageError(
      '--relay is required (ws://, wss:// or an Azure Relay namespace host)',
      hint,
    );
  const entity = values['hybrid-connection'] ?? defaultEntity;
  if (!entity) throw new CliUsageError('--hybrid-connection is required', hint);
  const sasKey = values['sas-key'] ?? context.env.PORTHOLE_SAS_KEY;
  const token = values['relay-token'] ?? context.env.PORTHOLE_RELAY_TOKEN;
  const keyName = values['sas-key-name'];
  if (token !== undefined && (keyName !== undefined || values['sas-key'] !== undefined)) {
    throw new CliUsageError(
      'give either --relay-token or --sas-key-name with --sas-key, not both',
      hint,
    );
  }
  let credential: RelayTarget['credential'];
  if (token !== undefined) credential = {token};
  else if (keyName !== undefined && sasKey !== undefined)
    credential = {sasKeyName: keyName, sasKey};
  else
    throw new CliUsageError(
      'a relay credential is required: --sas-key-name with --sas-key (or PORTHOLE_SAS_KEY), or --relay-token (or PORTHOLE_RELAY_TOKEN)',
      hint,
    );
  const mode = tunnelMode(values.tunnel, hint);
  return {target: {origin: relayOrigin(values.relay), entity, credential}, mode};
}

/**
 * The tunnel mode `--tunnel` names: auto (when absent), mux or websocket.
 *
 * @throws CliUsageError for any other value
 */
export function tunnelMode(value: string | undefined, hint: string): TunnelMode {
  const mode = value ?? 'auto';
  if (mode !== 'auto' && mode !== 'mux' && mode !== 'websocket') {
    throw new CliUsageError(
      `--tunnel must be auto, mux or websocket (got ${JSON.stringify(mode)})`,
      hint,
    );
  }
  return mode;
}
