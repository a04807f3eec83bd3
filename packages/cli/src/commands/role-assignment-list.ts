import type {CliContext} from '../command.js';
import {clusterName} from '../cluster-name.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {OUTPUT_OPTIONS, outputChoice, renderOutput} from '../output.js';

const HINT = 'Run "porthole role assignment list --help" for its options.';

/** `porthole role assignment list --cluster NAME`. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {...CONTROL_PLANE_OPTIONS, ...OUTPUT_OPTIONS, cluster: {type: 'string'}},
    HINT,
  );
  const choice = outputChoice(values);
  const cluster = clusterName(values.cluster, HINT);
  const client = await signedInClient(values, context, 'role assignment list');
  const assignments = await client.listRoleAssignments(cluster);
  context.stdout.write(
    renderOutput(assignments, choice, () => [
      ['Id', 'Principal', 'Type', 'Role', 'Scope'],
      ...assignments.map((a) => [a.id, a.principalId, a.principalType ?? '', a.role, a.scope]),
    ]),
  );
  return ExitCode.OK;
}
