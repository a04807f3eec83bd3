import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import {
  CertificateAuthority,
  createKubeconfig,
  generateSigningKey,
  serializeKubeconfig,
} from '@porthole/core';
import type {CertificateRequest, CertifiedKey} from '@porthole/core';

/** A certificate and its key, in memory and as files (`cert`, `key`) under `pki/`. */
export interface IssuedCert extends CertifiedKey {
  cert: string;
  key: string;
}

/**
 * Every file of one test cluster, under one directory:
 *
 *     pki/          CA, serving and client certificates, service-account keys (0600)
 *     kubeconfigs/  one per client identity; admin.kubeconfig is the one tests use
 *     logs/         one log per process
 *     etcd/         etcd's data
 *     audit/        the apiserver's audit log
 *     kwok/         what kwok's pods print to `kubectl logs` and `attach`
 */
export class ClusterLayout {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  log(component: string): string {
    return this.path('logs', `${component}.log`);
  }

  kubeconfig(user: string): string {
    return this.path('kubeconfigs', `${user}.kubeconfig`);
  }

  get caCert(): string {
    return this.path('pki', 'ca.crt');
  }

  /** Creates the directories, readable by this user only. */
  async create(): Promise<void> {
    await mkdir(this.dir, {recursive: true, mode: 0o700});
    for (const sub of ['pki', 'kubeconfigs', 'logs', 'etcd', 'audit', 'kwok']) {
      await mkdir(this.path(sub), {mode: 0o700});
    }
  }
}

/** The certificates and keys of every component, written under `pki/`. */
export interface ClusterPki {
  ca: CertificateAuthority;
  caCert: string;
  caKey: string;
  etcdServer: IssuedCert;
  apiserverEtcdClient: IssuedCert;
  apiserver: IssuedCert;
  apiserverKubeletClient: IssuedCert;
  admin: IssuedCert;
  kwokServing: IssuedCert;
  schedulerServing: IssuedCert;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

/**
 * Generates a throwaway PKI for one cluster and writes it to `pki/`, then writes a kubeconfig
 * for each client identity the control plane needs.
 *
 * @param server the apiserver's URL, for the kubeconfigs
 */
export async function writePki(layout: ClusterLayout, server: string): Promise<ClusterPki> {
  const ca = await CertificateAuthority.create('porthole-test-cluster-ca');
  const write = async (name: string, pem: string) => {
    const file = layout.path('pki', name);
    await writeFile(file, pem, {mode: 0o600});
    return file;
  };
  const issue = async (name: string, request: CertificateRequest): Promise<IssuedCert> => {
    const certified = await ca.issue(request);
    return {
      ...certified,
      cert: await write(`${name}.crt`, certified.certPem),
      key: await write(`${name}.key`, certified.keyPem),
    };
  };
  const loopback = ['127.0.0.1', 'localhost'];
  const serviceAccount = await generateSigningKey();

  const pki: ClusterPki = {
    ca,
    caCert: await write('ca.crt', ca.certPem),
    caKey: await write('ca.key', ca.keyPem),
    etcdServer: await issue('etcd-server', {commonName: 'etcd', hosts: loopback, usage: 'server'}),
    apiserverEtcdClient: await issue('apiserver-etcd-client', {
      commonName: 'kube-apiserver-etcd-client',
      usage: 'client',
    }),
    apiserver: await issue('apiserver', {
      commonName: 'kube-apiserver',
      hosts: [
        ...loopback,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        '10.96.0.1',
      ],
      usage: 'server',
    }),
    apiserverKubeletClient: await issue('apiserver-kubelet-client', {
      commonName: 'kube-apiserver-kubelet-client',
      usage: 'client',
    }),
    admin: await issue('admin', {
      commonName: 'porthole-admin',
      organizations: ['system:masters'],
      usage: 'client',
    }),
    kwokServing: await issue('kwok-serving', {
      commonName: 'kwok',
      hosts: loopback,
      usage: 'server',
    }),
    schedulerServing: await issue('kube-scheduler-serving', {
      commonName: 'kube-scheduler',
      hosts: loopback,
      usage: 'server',
    }),
    serviceAccountKey: await write('sa.key', serviceAccount.privateKeyPem),
    serviceAccountPublicKey: await write('sa.pub', serviceAccount.publicKeyPem),
  };

  const clients: [file: string, commonName: string, organizations: string[]][] = [
    ['kube-controller-manager', 'system:kube-controller-manager', []],
    ['kube-scheduler', 'system:kube-scheduler', []],
    // kwok stands in for every kubelet and for a controller that writes pod status.
    ['kwok', 'kwok-controller', ['system:masters']],
  ];
  const writeKubeconfig = async (name: string, credential: CertifiedKey) => {
    const config = createKubeconfig({
      name: `porthole-test-${name}`,
      server,
      certificateAuthorityPem: ca.certPem,
      credential: {clientCertificatePem: credential.certPem, clientKeyPem: credential.keyPem},
    });
    await writeFile(layout.kubeconfig(name), serializeKubeconfig(config), {mode: 0o600});
  };
  await writeKubeconfig('admin', pki.admin);
  for (const [name, commonName, organizations] of clients) {
    await writeKubeconfig(name, await ca.issue({commonName, organizations, usage: 'client'}));
  }
  return pki;
}
