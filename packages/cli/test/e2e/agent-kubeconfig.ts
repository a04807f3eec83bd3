import {writeFile} from 'node:fs/promises';

import {createKubeconfig, serializeKubeconfig} from '@porthole/core';

/**
 * Writes (0600) the kubeconfig an agent runs with outside a pod: the test cluster's apiserver
 * and a service account's bearer token, as the pod's own would be.
 */
export async function writeAgentKubeconfig(
  path: string,
  cluster: {server: string; caPem: string},
  token: string,
): Promise<void> {
  const kubeconfig = createKubeconfig({
    name: 'agent',
    server: cluster.server,
    certificateAuthorityPem: cluster.caPem,
    credential: {token},
  });
  await writeFile(path, serializeKubeconfig(kubeconfig), {mode: 0o600});
}
