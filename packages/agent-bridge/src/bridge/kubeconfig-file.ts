import {mkdir, readFile, rename, writeFile} from 'node:fs/promises';
import {dirname} from 'node:path';

import {parse, stringify} from 'yaml';

import {AgentBridgeError} from '../errors.js';

/** A context the bridge writes: a cluster at the bridge, trusted through the bridge's CA. */
export interface BridgeContext {
  /** Names the context, its cluster and its user alike, e.g. `porthole-prod`. */
  name: string;
  server: string;
  caPem: string;
  /** The TLS server name that selects this cluster on the bridge (see `clusterServerName`). */
  tlsServerName: string;
  /** What kubectl presents: nothing (the user adds it), a token, or an exec plugin's token. */
  credential: KubectlCredential;
  namespace?: string;
}

/**
 * A kubeconfig user's credential: a bearer token (a service-account token, say), or a
 * `client.authentication.k8s.io/v1` exec plugin that prints a fresh one each time kubectl needs
 * it (`porthole get-token` for Entra sign-in).
 */
export type KubectlCredential =
  | {token: string}
  | {exec: {command: string; args: string[]; env: {name: string; value: string}[]}}
  | undefined;

/** A `clusters`, `users` or `contexts` entry: a name and whatever else it holds. */
interface Named {
  name: string;
  [key: string]: unknown;
}

interface KubeconfigDocument {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  preferences?: unknown;
  [key: string]: unknown;
}

/** The kubeconfig text of one context, for `-f -`. */
export function contextKubeconfig(context: BridgeContext): string {
  return stringify(upsert({}, context, true));
}

/**
 * Adds (or replaces) a context in a kubeconfig file, keeping every other entry; creates the
 * file (0600) if needed. `makeCurrent` switches the file's current context to it.
 *
 * @throws AgentBridgeError `ERR_BRIDGE_CONTROL` when the file cannot be read, parsed or written
 */
export async function addContext(
  path: string,
  context: BridgeContext,
  makeCurrent: boolean,
): Promise<void> {
  const document = await readDocument(path);
  await writeDocument(path, upsert(document, context, makeCurrent));
}

/** Removes a context and its cluster and user entries, if the file has them. */
export async function removeContext(path: string, name: string): Promise<void> {
  const document = await readDocument(path);
  const without = (entries: Named[] | undefined) =>
    (entries ?? []).filter((entry) => entry.name !== name);
  const next: KubeconfigDocument = {
    ...document,
    clusters: without(document.clusters),
    users: without(document.users),
    contexts: without(document.contexts),
  };
  if (next['current-context'] === name) next['current-context'] = '';
  await writeDocument(path, next);
}

function upsert(
  document: KubeconfigDocument,
  context: BridgeContext,
  makeCurrent: boolean,
): KubeconfigDocument {
  const replace = (entries: Named[] | undefined, entry: Named) => [
    ...(entries ?? []).filter((existing) => existing.name !== entry.name),
    entry,
  ];
  const next: KubeconfigDocument = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    ...document,
    clusters: replace(document.clusters, {
      name: context.name,
      cluster: {
        server: context.server,
        'certificate-authority-data': Buffer.from(context.caPem).toString('base64'),
        'tls-server-name': context.tlsServerName,
      },
    }),
    users: replace(document.users, {
      name: context.name,
      user: kubeconfigUser(context.credential),
    }),
    contexts: replace(document.contexts, {
      name: context.name,
      context: {
        cluster: context.name,
        user: context.name,
        ...(context.namespace === undefined ? {} : {namespace: context.namespace}),
      },
    }),
  };
  if (makeCurrent || !document['current-context']) next['current-context'] = context.name;
  return next;
}

function kubeconfigUser(credential: KubectlCredential): Record<string, unknown> {
  if (credential === undefined) return {};
  if ('token' in credential) return {token: credential.token};
  return {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1',
      ...credential.exec,
      interactiveMode: 'Never',
      provideClusterInfo: false,
    },
  };
}

async function readDocument(path: string): Promise<KubeconfigDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw failure(`Cannot read ${path}`, err);
  }
  try {
    const parsed = parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as KubeconfigDocument) : {};
  } catch (err) {
    throw failure(`${path} is not a kubeconfig (YAML)`, err);
  }
}

/** Writes through a temporary file and a rename, so that kubectl never reads half a file. */
async function writeDocument(path: string, document: KubeconfigDocument): Promise<void> {
  try {
    await mkdir(dirname(path), {recursive: true, mode: 0o700});
    const temporary = `${path}.porthole-${process.pid}`;
    await writeFile(temporary, stringify(document), {mode: 0o600});
    await rename(temporary, path);
  } catch (err) {
    throw failure(`Cannot write ${path}`, err);
  }
}

function failure(message: string, cause: unknown): AgentBridgeError {
  return new AgentBridgeError(
    'ERR_BRIDGE_CONTROL',
    message,
    'Check the kubeconfig file and its permissions.',
    {cause},
  );
}
