import {writeFile} from 'node:fs/promises';

import {HttpsClient} from './https-client.js';
import type {ClusterLayout, ClusterPki} from './layout.js';
import {ManagedProcess} from './managed-process.js';
import {waitFor} from './wait-for.js';

/** The service-account token issuer; also the default audience of issued tokens. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

// Metadata for every request (who, as whom, what, the answer) and never a body: request
// bodies carry Secrets and TokenRequests.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

/** What {@link startKubeApiserver} needs. */
export interface KubeApiserverOptions {
  binary: string;
  layout: ClusterLayout;
  pki: ClusterPki;
  etcdUrl: string;
  port: number;
  timeoutMs: number;
}

/**
 * Starts kube-apiserver on 127.0.0.1 with RBAC, service-account token signing, an audit log
 * and kubelet (kwok) connections verified against the cluster CA, and waits for `/readyz`.
 *
 * @returns the process and a client authenticated as the cluster admin
 */
export async function startKubeApiserver(
  options: KubeApiserverOptions,
): Promise<{process: ManagedProcess; admin: HttpsClient}> {
  const {binary, layout, pki, etcdUrl, port, timeoutMs} = options;
  const auditPolicy = layout.path('audit', 'policy.yaml');
  await writeFile(auditPolicy, AUDIT_POLICY);
  const process = await ManagedProcess.start(
    'kube-apiserver',
    binary,
    [
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.caCert}`,
      `--etcd-servers=${etcdUrl}`,
      `--etcd-cafile=${pki.caCert}`,
      `--etcd-certfile=${pki.apiserverEtcdClient.cert}`,
      `--etcd-keyfile=${pki.apiserverEtcdClient.key}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
      `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--kubelet-preferred-address-types=InternalIP',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${layout.path('audit', 'audit.log')}`,
      '--audit-log-maxsize=100',
      '--allow-privileged=true',
      '--profiling=false',
    ],
    {logPath: layout.log('kube-apiserver')},
  );

  const admin = new HttpsClient({
    server: `https://127.0.0.1:${port}`,
    caPem: pki.ca.certPem,
    certPem: pki.admin.certPem,
    keyPem: pki.admin.keyPem,
  });
  try {
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        const {status} = await admin.request('GET', '/readyz');
        return status === 200 ? true : undefined;
      },
      {process, timeoutMs},
    );
  } catch (err) {
    admin.close();
    throw err;
  }
  return {process, admin};
}
