import type {CliContext} from '../command.js';
import {clusterName} from '../cluster-name.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';

const HINT = 'Run "porthole role assignment delete --help" for its options.';

/** `porthole role assignment delete --cluster NAME --id ID`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {...CONTROL_PLANE_OPTIONS, cluster: {type: 'string'}, id: {type: 'string'}},
    HINT,
  );
  const cluster = clusterName(values.cluster, HINT);
  if (values.id === undefined) {
    throw new CliUsageError('--id is required: the id porthole role assignment list shows', HINT);
  }
  await (
    await signedInClient(values, context, 'role assignment delete')
  ).deleteRoleAssignment(cluster, values.id);
  context.stdout.write(`Removed role assignment ${values.id} from ${cluster}.\n`);
  return ExitCode.OK;
}
