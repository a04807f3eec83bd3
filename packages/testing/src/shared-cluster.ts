import {startTestCluster} from './cluster/test-cluster.js';
import {serviceAccountToken} from './service-account.js';

/** What a package's end-to-end tests get of the cluster they share (plain data, for vitest's `provide`). */
export interface SharedCluster {
  /** The admin kubeconfig. */
  kubeconfigPath: string;
  server: string;
  caPem: string;
  /** A token of a service account bound to cluster-admin: what kubectl presents through Porthole. */
  token: string;
  auditLogPath: string;
}

/**
 * One real cluster for a package's end-to-end tests, started by its global setup, with a
 * service account bound to cluster-admin whose token kubectl presents through the bridge (the
 * apiserver judges it; the agent passes it through).
 */
export async function startSharedCluster(
  serviceAccount: string,
): Promise<{cluster: SharedCluster; stop: () => Promise<void>}> {
  const cluster = await startTestCluster();
  try {
    const token = await serviceAccountToken(cluster.kubeconfigPath, serviceAccount);
    return {
      cluster: {
        kubeconfigPath: cluster.kubeconfigPath,
        server: cluster.server,
        caPem: cluster.caPem,
        token,
        auditLogPath: cluster.auditLogPath,
      },
      stop: () => cluster.stop(),
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
