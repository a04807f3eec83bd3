import {createHash, randomBytes, X509Certificate} from 'node:crypto';
import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import {CertificateAuthority} from '@porthole/core';

import {AgentBridgeError} from '../errors.js';

/** What the bridge keeps under `<data dir>/bridge/`, all readable by the user only. */
export interface BridgeFiles {
  dir: string;
  caPem: string;
  /** The CA certificate's file, for users to trust (`porthole trust`). */
  caPath: string;
  /**
   * The only hosts the CA may vouch for (its name constraints): 127.0.0.1, ::1, localhost and
   * {@link BRIDGE_SERVER_DOMAIN}, each DNS name with its subdomains.
   */
  caPermittedHosts: readonly string[];
  tls: {certPem: string; keyPem: string};
  /** The secret of the local control API. */
  controlSecret: string;
  /** The bridge's own kubeconfig, where `porthole proxy` writes its contexts. */
  kubeconfigPath: string;
  /** Where the background bridge writes its log. */
  logPath: string;
}

/**
 * kubectl's `get --raw` drops the server URL's path, so the bridge also tells clusters apart
 * by TLS server name: each context names `<cluster>.bridge.porthole.internal` (a name that is
 * never resolved: kubectl connects to 127.0.0.1 and only sends it as SNI).
 */
export const BRIDGE_SERVER_DOMAIN = 'bridge.porthole.internal';

/**
 * What the bridge CA may vouch for: browsers and kubectl trust it, so it must not be able to
 * vouch for any other site (RFC 5280 §4.2.1.10 name constraints, which TLS clients enforce).
 */
const CA_PERMITTED_HOSTS = ['127.0.0.1', '::1', 'localhost', BRIDGE_SERVER_DOMAIN];
const CA_DAYS = 3650;
const SERVING_DAYS = 365;
/** Reissue the serving certificate this long before it would expire. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The bridge's CA — generated once per user and kept, name-constrained to the bridge's own
 * hosts — its serving certificate for 127.0.0.1, localhost, ::1 and the clusters' server names
 * (reissued from the CA as it nears expiry), and the control secret. A CA of an older version,
 * without those name constraints, is replaced, and the serving certificate with it.
 *
 * @param dataDir `$PORTHOLE_HOME`, default `~/.porthole`
 * @throws AgentBridgeError `ERR_BRIDGE_CONTROL` when the files cannot be read or written
 */
export async function ensureBridgeFiles(dataDir: string): Promise<BridgeFiles> {
  const dir = join(dataDir, 'bridge');
  const path = (name: string) => join(dir, name);
  try {
    await mkdir(dir, {recursive: true, mode: 0o700});
    await chmod(dir, 0o700);
    const existing = await readPair(path('ca.crt'), path('ca.key'));
    let ca = existing && (await CertificateAuthority.load(existing.certPem, existing.keyPem));
    if (!ca || !constrainedToBridge(ca)) {
      ca = await CertificateAuthority.create('Porthole bridge CA', {
        validityDays: CA_DAYS,
        permittedHosts: CA_PERMITTED_HOSTS,
      });
      await writePrivate(path('ca.key'), ca.keyPem);
      await writePrivate(path('ca.crt'), ca.certPem);
    }
    let serving = await readPair(path('server.crt'), path('server.key'));
    if (!serving || !currentServing(serving.certPem, ca.certPem)) {
      serving = await ca.issue({
        commonName: 'Porthole bridge',
        hosts: ['127.0.0.1', 'localhost', '::1', `*.${BRIDGE_SERVER_DOMAIN}`],
        usage: 'server',
        validityDays: SERVING_DAYS,
      });
      await writePrivate(path('server.key'), serving.keyPem);
      await writePrivate(path('server.crt'), serving.certPem);
    }
    let controlSecret = (await readFile(path('control.secret'), 'utf8').catch(() => '')).trim();
    if (controlSecret === '') {
      controlSecret = randomBytes(32).toString('hex');
      await writePrivate(path('control.secret'), `${controlSecret}\n`);
    }
    return {
      dir,
      caPem: ca.certPem,
      caPath: path('ca.crt'),
      caPermittedHosts: ca.permittedHosts ?? [],
      tls: serving,
      controlSecret,
      kubeconfigPath: path('kubeconfig'),
      logPath: path('bridge.log'),
    };
  } catch (err) {
    if (err instanceof AgentBridgeError) throw err;
    throw new AgentBridgeError(
      'ERR_BRIDGE_CONTROL',
      `Cannot prepare the bridge's files in ${dir}`,
      'Check that the data directory (PORTHOLE_HOME) is writable by you.',
      {cause: err},
    );
  }
}

/** Whether a CA permits exactly the hosts this version's bridge CA does. */
function constrainedToBridge(ca: CertificateAuthority): boolean {
  const permitted = new Set(ca.permittedHosts);
  return (
    permitted.size === CA_PERMITTED_HOSTS.length &&
    CA_PERMITTED_HOSTS.every((host) => permitted.has(host))
  );
}

/**
 * Whether a serving certificate is far from expiry, names what this version serves, and was
 * issued by the CA (which may just have replaced an older one).
 */
function currentServing(certPem: string, caPem: string): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return (
    new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_MS &&
    (cert.subjectAltName ?? '').includes(`*.${BRIDGE_SERVER_DOMAIN}`) &&
    cert.checkIssued(ca) &&
    cert.verify(ca.publicKey)
  );
}

/**
 * The TLS server name of a cluster on the bridge: the cluster's name when it is a DNS label,
 * else a label derived from it.
 */
export function clusterServerName(cluster: string): string {
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(cluster)
    ? cluster
    : `h${createHash('sha256').update(cluster).digest('hex').slice(0, 24)}`;
  return `${label}.${BRIDGE_SERVER_DOMAIN}`;
}

async function readPair(
  certPath: string,
  keyPath: string,
): Promise<{certPem: string; keyPem: string} | undefined> {
  try {
    return {certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8')};
  } catch {
    return undefined;
  }
}

async function writePrivate(path: string, content: string): Promise<void> {
  await writeFile(path, content, {mode: 0o600});
  await chmod(path, 0o600);
}
