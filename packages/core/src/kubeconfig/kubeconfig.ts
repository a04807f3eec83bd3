import {KubeconfigError} from '../errors.js';

/** Where and how to reach an API server (the `cluster` of a kubeconfig `clusters[]` entry). */
export interface KubeconfigCluster {
  server: string;
  'certificate-authority-data'?: string;
  'tls-server-name'?: string;
}

/** How to authenticate (the `user` of a kubeconfig `users[]` entry). */
export interface KubeconfigUser {
  token?: string;
  'client-certificate-data'?: string;
  'client-key-data'?: string;
}

/** A kubeconfig context: which cluster, as which user, in which namespace. */
export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
}

/**
 * A kubeconfig document (`apiVersion: v1`, `kind: Config`) as kubectl reads it.
 * See https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/.
 */
export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: {name: string; cluster: KubeconfigCluster}[];
  users: {name: string; user: KubeconfigUser}[];
  contexts: {name: string; context: KubeconfigContext}[];
  'current-context': string;
  preferences: Record<string, never>;
}

/** The credential of a kubeconfig user: a bearer token, or a client certificate and its key. */
export type KubeconfigCredential =
  {token: string} | {clientCertificatePem: string; clientKeyPem: string};

/** What {@link createKubeconfig} needs. */
export interface KubeconfigOptions {
  /** Names the cluster, the user and the context alike. */
  name: string;
  /** The API server's URL; only `https:` is accepted. */
  server: string;
  /** The PEM bundle that verifies the server's certificate. */
  certificateAuthorityPem: string;
  credential: KubeconfigCredential;
  /** The context's default namespace. */
  namespace?: string;
  /** The name to send as TLS SNI and to verify the server's certificate for, instead of the URL's host. */
  tlsServerName?: string;
}

/**
 * Builds a one-context kubeconfig whose context is current.
 *
 * @param options the cluster, its CA and the user's credential
 * @returns the document, ready for {@link serializeKubeconfig}
 * @throws KubeconfigError `ERR_KUBECONFIG_INVALID` when a value cannot appear in a kubeconfig
 * @example
 *   const config = createKubeconfig({
 *     name: 'porthole-prod',
 *     server: 'https://127.0.0.1:47011/clusters/prod',
 *     certificateAuthorityPem: caPem,
 *     credential: {token},
 *   });
 */
export function createKubeconfig(options: KubeconfigOptions): Kubeconfig {
  const {name, server, certificateAuthorityPem, credential, namespace, tlsServerName} = options;
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/.test(name)) {
    throw new KubeconfigError(
      `"name" must be letters, digits and ._:@- (got ${JSON.stringify(name)})`,
    );
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError(`"server" is not a URL (got ${JSON.stringify(server)})`);
  }
  if (url.protocol !== 'https:') {
    throw new KubeconfigError(
      `"server" must be an https URL (got ${JSON.stringify(url.protocol)})`,
    );
  }
  const context: KubeconfigContext = {cluster: name, user: name};
  if (namespace !== undefined) context.namespace = namespace;
  const cluster: KubeconfigCluster = {
    server,
    'certificate-authority-data': pemToData('certificateAuthorityPem', certificateAuthorityPem),
  };
  if (tlsServerName !== undefined) cluster['tls-server-name'] = tlsServerName;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name, cluster}],
    users: [{name, user: userFor(credential)}],
    contexts: [{name, context}],
    'current-context': name,
    preferences: {},
  };
}

/**
 * Serialises a kubeconfig as JSON, which is also a YAML document that kubectl reads.
 *
 * @param config the document
 * @returns its text, ending in a newline
 */
export function serializeKubeconfig(config: Kubeconfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

function userFor(credential: KubeconfigCredential): KubeconfigUser {
  if ('token' in credential) {
    if (credential.token === '' || /\s/.test(credential.token)) {
      throw new KubeconfigError('"token" must be non-empty and without whitespace');
    }
    return {token: credential.token};
  }
  return {
    'client-certificate-data': pemToData('clientCertificatePem', credential.clientCertificatePem),
    'client-key-data': pemToData('clientKeyPem', credential.clientKeyPem),
  };
}

/** One or more PEM blocks, each with matching armour, and nothing else. */
const PEM = /^(?:-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----\s*)+$/;

/** kubeconfig `*-data` fields hold the base64 of the whole PEM text, armour included. */
function pemToData(field: string, pem: string): string {
  // The value may be a private key: never echo it.
  if (!PEM.test(pem)) throw new KubeconfigError(`"${field}" is not PEM`);
  return btoa(pem);
}
