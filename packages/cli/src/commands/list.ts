import type {CliContext} from '../command.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {OUTPUT_OPTIONS, outputChoice, renderOutput} from '../output.js';
import {clusterTable} from './cluster-table.js';

/** `porthole list`: the clusters the signed-in principal holds a role on. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {...CONTROL_PLANE_OPTIONS, ...OUTPUT_OPTIONS},
    'Run "porthole list --help" for its options.',
  );
  const choice = outputChoice(values);
  const clusters = await (await signedInClient(values, context, 'list')).listClusters();
  if (clusters.length === 0 && choice.format === 'table' && choice.query === undefined) {
    context.stdout.write('No clusters. Connect one with: porthole connect -n NAME\n');
    return ExitCode.OK;
  }
  context.stdout.write(renderOutput(clusters, choice, () => clusterTable(clusters)));
  return ExitCode.OK;
}
