import type {CliContext} from '../command.js';
import {clusterName} from '../cluster-name.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {OUTPUT_OPTIONS, outputChoice, renderOutput} from '../output.js';

const HINT = 'Run "porthole role assignment create --help" for its options.';

/**
 * `porthole role assignment create --cluster NAME --role ROLE --assignee OBJECT-ID
 * [--namespace NS]`: gives a user, group or service principal a built-in role on the cluster
 * or one namespace of it. The control plane checks the values and answers with a stable code.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      ...CONTROL_PLANE_OPTIONS,
      ...OUTPUT_OPTIONS,
      cluster: {type: 'string'},
      role: {type: 'string'},
      assignee: {type: 'string'},
      'assignee-type': {type: 'string'},
      namespace: {type: 'string'},
    },
    HINT,
  );
  const choice = outputChoice(values);
  const cluster = clusterName(values.cluster, HINT);
  if (values.role === undefined) {
    throw new CliUsageError(
      '--role is required: Viewer, Writer, Admin, "Cluster Admin" or "Cluster User"',
      HINT,
    );
  }
  if (values.assignee === undefined) {
    throw new CliUsageError(
      '--assignee is required: the object id of a user, group or service principal',
      HINT,
    );
  }
  const client = await signedInClient(values, context, 'role assignment create');
  const assignment = await client.createRoleAssignment(cluster, {
    principalId: values.assignee,
    role: values.role,
    ...(values['assignee-type'] === undefined ? {} : {principalType: values['assignee-type']}),
    ...(values.namespace === undefined ? {} : {namespace: values.namespace}),
  });
  context.stdout.write(renderOutput(assignment, choice));
  return ExitCode.OK;
}
