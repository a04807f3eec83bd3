import {HttpsClient} from './https-client.js';
import type {ClusterLayout, ClusterPki} from './layout.js';
import {ManagedProcess} from './managed-process.js';
import {freePort} from './ports.js';
import {waitFor} from './wait-for.js';

/**
 * Starts kube-scheduler, so that pods from Deployments and `kubectl run` land on kwok's nodes,
 * and waits for its `/healthz` (always allowed without credentials).
 */
export async function startKubeScheduler(
  binary: string,
  layout: ClusterLayout,
  pki: ClusterPki,
  timeoutMs: number,
): Promise<ManagedProcess> {
  const port = await freePort();
  const kubeconfig = layout.kubeconfig('kube-scheduler');
  const process = await ManagedProcess.start(
    'kube-scheduler',
    binary,
    [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.schedulerServing.cert}`,
      `--tls-private-key-file=${pki.schedulerServing.key}`,
      '--leader-elect=false',
    ],
    {logPath: layout.log('kube-scheduler')},
  );
  const probe = new HttpsClient({
    server: `https://127.0.0.1:${port}`,
    caPem: pki.ca.certPem,
    certPem: pki.admin.certPem,
    keyPem: pki.admin.keyPem,
  });
  try {
    await waitFor(
      'kube-scheduler /healthz',
      async () => {
        const {status} = await probe.request('GET', '/healthz');
        return status === 200 ? true : undefined;
      },
      {process, timeoutMs},
    );
  } finally {
    probe.close();
  }
  return process;
}
