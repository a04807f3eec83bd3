import {readFile} from 'node:fs/promises';
import {dirname, isAbsolute, join} from 'node:path';

import {parse} from 'yaml';

import {AgentBridgeError} from '../errors.js';

/** How the agent itself authenticates to the apiserver (for its own calls and, later, impersonation). */
export type AgentCredential = {token: () => Promise<string>} | {certPem: string; keyPem: string};

/** The apiserver the agent forwards to, and what it needs to trust and to be trusted there. */
export interface KubeEndpoint {
  server: URL;
  /** PEM CA bundle that verifies the apiserver; the system's roots when absent. */
  caPem: string | undefined;
  /** The name to verify the apiserver's certificate for, when it differs from the URL's host. */
  tlsServerName: string | undefined;
  credential: AgentCredential | undefined;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The TLS options that verify an endpoint's apiserver: its CA, and the name to check. */
export function endpointTls(endpoint: KubeEndpoint): {ca?: string; servername?: string} {
  const {caPem, tlsServerName} = endpoint;
  return {
    ...(caPem === undefined ? {} : {ca: caPem}),
    ...(tlsServerName === undefined ? {} : {servername: tlsServerName}),
  };
}

/** Where an endpoint's apiserver listens, as `https.request` takes it (IPv6 without brackets). */
export function endpointAddress(endpoint: KubeEndpoint): {
  host: string;
  port: string;
  servername?: string;
} {
  const {server, tlsServerName} = endpoint;
  return {
    host: server.hostname.replace(/^\[|\]$/g, ''),
    port: server.port || '443',
    ...(tlsServerName ? {servername: tlsServerName} : {}),
  };
}

/**
 * The in-cluster endpoint: `KUBERNETES_SERVICE_HOST`/`PORT`, and the pod's service account.
 * The token is read anew at each use, since the kubelet rotates projected tokens.
 *
 * @throws AgentBridgeError `ERR_AGENT_KUBECONFIG_INVALID` outside a pod
 */
export async function inClusterEndpoint(
  env: NodeJS.ProcessEnv = process.env,
  root = SERVICE_ACCOUNT,
): Promise<KubeEndpoint> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw invalid(
      'not running in a pod (KUBERNETES_SERVICE_HOST is not set)',
      'Outside a cluster, pass --kubeconfig and --context.',
    );
  }
  const caPem = await readFile(join(root, 'ca.crt'), 'utf8').catch((err: unknown) => {
    throw invalid(
      `cannot read the service account CA ${join(root, 'ca.crt')}`,
      'Mount the service account token (automountServiceAccountToken).',
      err,
    );
  });
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    caPem,
    tlsServerName: undefined,
    credential: {token: async () => (await readFile(join(root, 'token'), 'utf8')).trim()},
  };
}

/**
 * An endpoint from a kubeconfig file: the named context (or the current one), its cluster's
 * server and CA, and its user's token or client certificate. Paths in the file are relative
 * to the file, as kubectl reads them.
 *
 * @throws AgentBridgeError `ERR_AGENT_KUBECONFIG_INVALID` naming what is missing or unsupported
 */
export async function kubeconfigEndpoint(
  path: string,
  contextName?: string,
): Promise<KubeEndpoint> {
  const hint = 'Check --kubeconfig and --context.';
  let document: unknown;
  try {
    document = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw invalid(`cannot read ${path}`, hint, err);
  }
  const config = document as KubeconfigDocument;
  const name = contextName ?? config['current-context'];
  if (!name) throw invalid(`${path} has no current context`, hint);
  const context = config.contexts?.find((entry) => entry.name === name)?.context;
  if (!context) throw invalid(`${path} has no context ${JSON.stringify(name)}`, hint);
  const cluster = config.clusters?.find((entry) => entry.name === context.cluster)?.cluster;
  if (!cluster?.server)
    throw invalid(`context ${JSON.stringify(name)} names no cluster with a server`, hint);
  const user = config.users?.find((entry) => entry.name === context.user)?.user ?? {};
  if (user.exec || user['auth-provider']) {
    throw invalid(
      `user ${JSON.stringify(context.user)} needs an exec or auth-provider plugin, which the agent does not run`,
      'Give the agent a kubeconfig with a token or a client certificate.',
    );
  }
  const base = dirname(path);
  const file = (value: string) => readFile(isAbsolute(value) ? value : join(base, value), 'utf8');
  const pem = async (data: string | undefined, fileName: string | undefined) =>
    data !== undefined
      ? Buffer.from(data, 'base64').toString('utf8')
      : fileName !== undefined
        ? file(fileName)
        : undefined;

  let credential: AgentCredential | undefined;
  if (user.token !== undefined) {
    const token = user.token;
    credential = {token: () => Promise.resolve(token)};
  } else if (user.tokenFile !== undefined) {
    const tokenFile = user.tokenFile;
    credential = {token: async () => (await file(tokenFile)).trim()};
  } else {
    const certPem = await pem(user['client-certificate-data'], user['client-certificate']);
    const keyPem = await pem(user['client-key-data'], user['client-key']);
    if (certPem !== undefined && keyPem !== undefined) credential = {certPem, keyPem};
  }
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch (err) {
    throw invalid(`the server of context ${JSON.stringify(name)} is not a URL`, hint, err);
  }
  if (server.protocol !== 'https:')
    throw invalid(`the server of context ${JSON.stringify(name)} is not https`, hint);
  if (cluster['insecure-skip-tls-verify']) {
    throw invalid(
      `context ${JSON.stringify(name)} skips TLS verification`,
      'Give the cluster its certificate-authority; the agent always verifies the apiserver.',
    );
  }
  return {
    server,
    caPem: await pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    tlsServerName: cluster['tls-server-name'],
    credential,
  };
}

interface KubeconfigDocument {
  'current-context'?: string;
  contexts?: {name: string; context: {cluster: string; user: string}}[];
  clusters?: {
    name: string;
    cluster: {
      server?: string;
      'certificate-authority'?: string;
      'certificate-authority-data'?: string;
      'tls-server-name'?: string;
      'insecure-skip-tls-verify'?: boolean;
    };
  }[];
  users?: {
    name: string;
    user: {
      token?: string;
      tokenFile?: string;
      'client-certificate'?: string;
      'client-certificate-data'?: string;
      'client-key'?: string;
      'client-key-data'?: string;
      exec?: unknown;
      'auth-provider'?: unknown;
    };
  }[];
}

function invalid(reason: string, hint: string, cause?: unknown): AgentBridgeError {
  return new AgentBridgeError(
    'ERR_AGENT_KUBECONFIG_INVALID',
    `Cannot reach the cluster: ${reason}`,
    hint,
    {cause},
  );
}
