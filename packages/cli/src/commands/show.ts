import {clusterName} from '../cluster-name.js';
import type {CliContext} from '../command.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {OUTPUT_OPTIONS, outputChoice, renderOutput} from '../output.js';
import {clusterTable} from './cluster-table.js';

const HINT = 'Run "porthole show --help" for its options.';

/** `porthole show -n NAME`: a cluster, its agent and whether it is connected. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {...CONTROL_PLANE_OPTIONS, ...OUTPUT_OPTIONS, name: {type: 'string', short: 'n'}},
    HINT,
  );
  const choice = outputChoice(values);
  const name = clusterName(values.name, HINT);
  const cluster = await (await signedInClient(values, context, 'show')).getCluster(name);
  context.stdout.write(renderOutput(cluster, choice, () => clusterTable([cluster])));
  if (choice.format === 'table' && choice.query === undefined && cluster.agentErrors.length > 0) {
    context.stdout.write(`\nAgent errors:\n${cluster.agentErrors.map((e) => `  ${e}\n`).join('')}`);
  }
  return ExitCode.OK;
}
