import type {ClusterLayout, ClusterPki} from './layout.js';
import {ManagedProcess} from './managed-process.js';

/**
 * Starts kube-controller-manager with every default controller: among them the token
 * controller (fills `kubernetes.io/service-account-token` Secrets), the serviceaccount and
 * namespace controllers, and the workload controllers behind Deployments. It serves nothing
 * (`--secure-port=0`); the cluster knows it is up when its controllers act.
 */
export async function startKubeControllerManager(
  binary: string,
  layout: ClusterLayout,
  pki: ClusterPki,
): Promise<ManagedProcess> {
  const kubeconfig = layout.kubeconfig('kube-controller-manager');
  return ManagedProcess.start(
    'kube-controller-manager',
    binary,
    [
      `--kubeconfig=${kubeconfig}`,
      '--secure-port=0',
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--cluster-name=porthole-test',
    ],
    {logPath: layout.log('kube-controller-manager')},
  );
}
