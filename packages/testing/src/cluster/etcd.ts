import {HttpsClient} from './https-client.js';
import type {ClusterLayout, ClusterPki} from './layout.js';
import {ManagedProcess} from './managed-process.js';
import {freePort} from './ports.js';
import {waitFor} from './wait-for.js';

/** A running etcd member and the URL clients reach it at. */
export interface RunningEtcd {
  process: ManagedProcess;
  url: string;
}

/**
 * Starts a single-member etcd that serves clients over mutual TLS on 127.0.0.1 and waits
 * until it reports healthy.
 */
export async function startEtcd(
  binary: string,
  layout: ClusterLayout,
  pki: ClusterPki,
  timeoutMs: number,
): Promise<RunningEtcd> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `https://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const process = await ManagedProcess.start(
    'etcd',
    binary,
    [
      '--name=porthole',
      `--data-dir=${layout.path('etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=porthole=${peerUrl}`,
      `--cert-file=${pki.etcdServer.cert}`,
      `--key-file=${pki.etcdServer.key}`,
      `--trusted-ca-file=${pki.caCert}`,
      '--client-cert-auth',
      // Throwaway data: durability costs seconds on a busy disk and buys nothing here.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    {logPath: layout.log('etcd')},
  );

  const client = new HttpsClient({
    server: url,
    caPem: pki.ca.certPem,
    certPem: pki.apiserverEtcdClient.certPem,
    keyPem: pki.apiserverEtcdClient.keyPem,
  });
  try {
    await waitFor(
      'etcd to report healthy',
      async () => {
        const {status, body} = await client.request('GET', '/health');
        return status === 200 && (body as {health?: string}).health === 'true' ? true : undefined;
      },
      {process, timeoutMs},
    );
  } finally {
    client.close();
  }
  return {process, url};
}
