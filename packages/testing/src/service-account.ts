import {kubectl} from './kubectl.js';

/**
 * Creates a service account bound to a cluster role and returns a token for it (TokenRequest,
 * two hours), as a user of the cluster would do with kubectl.
 *
 * @param kubeconfigPath an admin kubeconfig
 * @throws Error with kubectl's output when a step fails
 */
export async function serviceAccountToken(
  kubeconfigPath: string,
  name: string,
  clusterRole = 'cluster-admin',
): Promise<string> {
  const run = async (args: string[]) => {
    const result = await kubectl(kubeconfigPath, args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  await run(['create', 'serviceaccount', name, '-n', 'default']);
  await run([
    'create',
    'clusterrolebinding',
    name,
    '--clusterrole',
    clusterRole,
    '--serviceaccount',
    `default:${name}`,
  ]);
  return (await run(['create', 'token', name, '-n', 'default', '--duration', '2h'])).trim();
}
