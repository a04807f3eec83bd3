import {createInterface} from 'node:readline/promises';

import type {CliContext} from '../command.js';
import {clusterName} from '../cluster-name.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {kubectl} from '../kubectl.js';
import type {KubeTarget} from '../kubectl.js';

const HINT = 'Run "porthole delete --help" for its options.';

/**
 * `porthole delete -n NAME`: deletes the cluster from the control plane — its agent credential
 * is revoked and the agent disconnected — and, when the kube context reaches that cluster (its
 * agent Secret names it), removes the agent's objects from it as well.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      ...CONTROL_PLANE_OPTIONS,
      name: {type: 'string', short: 'n'},
      yes: {type: 'boolean', short: 'y', default: false},
      'kube-context': {type: 'string'},
      kubeconfig: {type: 'string'},
      namespace: {type: 'string', default: 'porthole-system'},
    },
    HINT,
  );
  const name = clusterName(values.name, HINT);
  const client = await signedInClient(values, context, 'delete');
  await client.getCluster(name); // An unknown cluster stops here, before anything is touched.
  if (!values.yes && !(await confirm(`Delete cluster ${name} and its agent? [y/N] `, context))) {
    context.stderr.write('Nothing deleted.\n');
    return ExitCode.OK;
  }
  const target = {kubeconfig: values.kubeconfig, context: values['kube-context']};
  const namespace = values.namespace;
  // The cluster-wide objects the manifest made, by name (the values do not change them).
  const {agentManifest} = await import('@porthole/agent-bridge');
  const clusterWide = agentManifest({
    cluster: name,
    relay: 'https://relay.invalid',
    keyName: 'porthole-agent',
    key: 'unused',
    image: 'unused',
    namespace,
  })
    .filter((object) => object.kind.startsWith('Cluster'))
    .map((object) => `${object.kind.toLowerCase()}/${object.metadata.name}`);
  const removed = await removeAgent(name, namespace, clusterWide, target, context);
  await client.deleteCluster(name);
  context.stdout.write(`Deleted cluster ${name}.\n`);
  context.stdout.write(
    removed
      ? `Removed its agent (namespace ${values.namespace}, its ClusterRole and bindings) from the cluster.\n`
      : `Its agent was not reachable from this kube context; in its cluster, remove it with: kubectl delete namespace ${namespace} && kubectl delete ${clusterWide.join(' ')}\n`,
  );
  return ExitCode.OK;
}

/** Removes the agent's objects when the context reaches the cluster whose agent it is. */
async function removeAgent(
  cluster: string,
  namespace: string,
  clusterWide: readonly string[],
  target: KubeTarget,
  context: CliContext,
): Promise<boolean> {
  const secret = await kubectl(
    [
      'get',
      'secret',
      'porthole-agent',
      '-n',
      namespace,
      '-o',
      'jsonpath={.data.cluster}',
      '--request-timeout=10s',
    ],
    target,
    context,
  );
  if (secret.code !== 0 || Buffer.from(secret.stdout, 'base64').toString('utf8') !== cluster)
    return false;
  const deleted = await kubectl(
    ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false'],
    target,
    context,
  );

  const rbac = await kubectl(['delete', ...clusterWide, '--ignore-not-found'], target, context);
  return deleted.code === 0 && rbac.code === 0;
}

async function confirm(question: string, context: CliContext): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new CliUsageError('delete asks for confirmation; give --yes when not interactive', HINT);
  }
  const prompt = createInterface({input: process.stdin, output: context.stderr});
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
