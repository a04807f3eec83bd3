import {PkiError} from '../errors.js';
import {unreachable} from '../lib/unreachable.js';
import {
  KeyUsageBit,
  OID,
  authorityKeyIdentifier,
  basicConstraints,
  distinguishedName,
  extendedKeyUsage,
  keyIdentifier,
  keyUsage,
  nameConstraints,
  signCertificate,
  subjectAltName,
  subjectKeyIdentifier,
} from './certificate.js';
import {
  readCertificate,
  readIsCa,
  readKeyUsageBit,
  readPermittedSubtrees,
  readSubjectKeyIdentifier,
} from './certificate-reader.js';
import type {CertificateParts} from './certificate-reader.js';
import {formatSubtree, inSubtree, parseHost, subtreeOf} from './host-names.js';
import type {HostName, HostSubtree} from './host-names.js';
import {decodePem, encodePem} from './pem.js';
import {KEY_ALGORITHM, exportSpki, generateKeyPair, privateKeyPem} from './signing-key.js';

/** A certificate and its private key, both PEM (`CERTIFICATE`, PKCS#8 `PRIVATE KEY`). */
export interface CertifiedKey {
  certPem: string;
  keyPem: string;
}

/** What a leaf certificate is for and whom it names. */
export interface CertificateRequest {
  /** The subject's CN; the user name when the certificate authenticates a Kubernetes client. */
  commonName: string;
  /** Subject `O=` values, one RDN each, before the CN: a Kubernetes client's groups. */
  organizations?: readonly string[];
  /**
   * DNS names and IPv4/IPv6 addresses the certificate serves, for its subjectAltName, e.g.
   * `['localhost', '127.0.0.1', '::1']`. A DNS name may start with a `*.` wildcard.
   */
  hosts?: readonly string[];
  /** Which extended key usages the certificate gets: `serverAuth`, `clientAuth` or both. */
  usage: 'server' | 'client' | 'server-and-client';
  /** How long the certificate is valid, counted from now; 7 days unless given. */
  validityDays?: number;
}

const DEFAULT_VALIDITY_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;
// Clocks of the processes that check our certificates may be a little behind ours.
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * A certificate authority that issues TLS certificates for servers and clients: ECDSA P-256
 * keys, signed with ecdsa-with-SHA256, in X.509 v3 certificates that Go, OpenSSL, Node and
 * browsers accept. It runs wherever Web Crypto does (Node, Deno, browsers). A CA that people
 * add to their trust stores should be name-constrained (`permittedHosts`), so that it cannot
 * vouch for any other site.
 *
 * @example
 *   const ca = await CertificateAuthority.create('porthole-bridge-ca', {
 *     validityDays: 365,
 *     permittedHosts: ['127.0.0.1', '::1', 'localhost'],
 *   });
 *   const server = await ca.issue({commonName: 'bridge', hosts: ['127.0.0.1', '::1', 'localhost'], usage: 'server'});
 *   // Persist ca.certPem and ca.keyPem (0600), then later:
 *   const restored = await CertificateAuthority.load(ca.certPem, ca.keyPem);
 */
export class CertificateAuthority {
  /** The CA certificate, PEM: what clients trust. */
  readonly certPem: string;
  /** The CA's private key, PKCS#8 PEM. A secret: store it readable by its owner only. */
  readonly keyPem: string;
  readonly #signingKey: CryptoKey;
  /** The subject Name of the CA certificate, exactly as signed: every leaf's issuer. */
  readonly #name: Uint8Array;
  /** The CA certificate's subjectKeyIdentifier, if it has one: every leaf's authorityKeyIdentifier. */
  readonly #keyIdentifier: Uint8Array | undefined;
  /** The permitted subtrees of its nameConstraints, if it has any: every leaf host is in one. */
  readonly #permitted: readonly HostSubtree[] | undefined;

  private constructor(
    certPem: string,
    keyPem: string,
    signingKey: CryptoKey,
    name: Uint8Array,
    keyIdentifier: Uint8Array | undefined,
    permitted: readonly HostSubtree[] | undefined,
  ) {
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.#signingKey = signingKey;
    this.#name = name;
    this.#keyIdentifier = keyIdentifier;
    this.#permitted = permitted;
  }

  /**
   * The hosts the CA may vouch for, as its nameConstraints permit them: DNS names (each with
   * its subdomains) and addresses (`address/mask` for a range), in the certificate's order;
   * `undefined` when it has no permitted subtrees, and so may vouch for any host.
   *
   * @example
   *   ca.permittedHosts; // ['127.0.0.1', '::1', 'localhost']
   */
  get permittedHosts(): readonly string[] | undefined {
    return this.#permitted?.map(formatSubtree);
  }

  /**
   * Creates a CA with a fresh key and a self-signed certificate: `CN=<commonName>`, basicConstraints
   * `cA TRUE` with pathLenConstraint 0 (it signs leaves only), keyUsage digitalSignature,
   * keyCertSign and cRLSign, and with `permittedHosts` a critical nameConstraints extension.
   *
   * @param commonName the CA certificate's CN
   * @param options `validityDays`: how long the CA is valid, 7 days unless given.
   *   `permittedHosts`: the only hosts the CA may vouch for, as permitted subtrees (RFC 5280
   *   §4.2.1.10) that TLS clients enforce: a DNS name permits itself and its subdomains
   *   (`localhost` permits `a.localhost`), an IPv4 or IPv6 address only itself. The list must
   *   name DNS names and addresses both, since a verifier leaves a name form without permitted
   *   subtrees unconstrained; a wildcard is refused, the name alone already covers it.
   * @throws PkiError `ERR_PKI_INVALID_REQUEST` for an empty name, a validity out of range, or
   *   `permittedHosts` that are not hosts or lack DNS names or addresses
   * @example
   *   const ca = await CertificateAuthority.create('porthole-test-cluster-ca');
   *   const local = await CertificateAuthority.create('local-ca', {permittedHosts: ['127.0.0.1', '::1', 'localhost']});
   */
  static async create(
    commonName: string,
    options: {validityDays?: number; permittedHosts?: readonly string[]} = {},
  ): Promise<CertificateAuthority> {
    checkName('commonName', commonName);
    const validity = validityPeriod(options.validityDays);
    const permitted = options.permittedHosts && permittedSubtrees(options.permittedHosts);
    const keys = await generateKeyPair();
    const spki = await exportSpki(keys.publicKey);
    const name = distinguishedName([[OID.commonName, commonName]]);
    const identifier = await keyIdentifier(spki);
    const certificate = await signCertificate({
      issuer: name,
      subject: name,
      subjectPublicKeyInfo: spki,
      ...validity,
      // RFC 5280 §4.2.1.1: a self-signed CA may leave out authorityKeyIdentifier.
      extensions: [
        basicConstraints(true),
        keyUsage([KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]),
        subjectKeyIdentifier(identifier),
        ...(permitted ? [nameConstraints(permitted)] : []),
      ],
      signingKey: keys.privateKey,
    });
    return new CertificateAuthority(
      encodePem('CERTIFICATE', certificate),
      await privateKeyPem(keys.privateKey),
      keys.privateKey,
      name,
      identifier,
      permitted,
    );
  }

  /**
   * Restores a CA from its certificate and key, e.g. one persisted from {@link create}. The
   * certificate must be a CA's (basicConstraints `cA TRUE`; keyCertSign if it has a keyUsage)
   * with an ECDSA P-256 key, and the key its PKCS#8 private key. Leaves it issues name the
   * certificate's subject as their issuer byte for byte, and carry its subjectKeyIdentifier as
   * their authorityKeyIdentifier when it has one. When it has nameConstraints, the dNSName and
   * iPAddress subtrees they permit limit the hosts of its leaves as they do for a created CA.
   *
   * The validity period is not checked: a leaf issued under an expired CA will not verify.
   *
   * @param certPem the CA certificate, one `CERTIFICATE` PEM block
   * @param keyPem its private key, one PKCS#8 `PRIVATE KEY` PEM block
   * @throws PkiError `ERR_PKI_INVALID_REQUEST` when the pair is not a usable CA; the message
   *   says why and never quotes the key
   * @example
   *   const ca = await CertificateAuthority.load(await readFile('ca.crt', 'utf8'), await readFile('ca.key', 'utf8'));
   */
  static async load(certPem: string, keyPem: string): Promise<CertificateAuthority> {
    const certificate = decodePem(certPem, 'CERTIFICATE');
    if (typeof certificate === 'string') {
      throw loadError(`expected a "CERTIFICATE" PEM block for the certificate, got ${certificate}`);
    }
    const key = decodePem(keyPem, 'PRIVATE KEY');
    if (typeof key === 'string') {
      throw loadError(`expected a PKCS#8 "PRIVATE KEY" PEM block for the key, got ${key}`);
    }
    let parts: CertificateParts;
    let keyId: Uint8Array | undefined;
    let permitted: HostSubtree[] | undefined;
    try {
      parts = readCertificate(certificate);
      const constraints = parts.extensions.get(OID.basicConstraints);
      if (constraints === undefined || !readIsCa(constraints.value)) {
        throw loadError('the certificate is not a CA (basicConstraints cA is not TRUE)');
      }
      // RFC 5280 §4.2.1.3: when keyUsage is present, keyCertSign must be set to sign certificates.
      const usage = parts.extensions.get(OID.keyUsage);
      if (usage !== undefined && !readKeyUsageBit(usage.value, KeyUsageBit.keyCertSign)) {
        throw loadError('the certificate may not sign certificates (keyUsage lacks keyCertSign)');
      }
      // RFC 5280 §4.1.2.4: a leaf's issuer field must be a non-empty Name.
      if (parts.subjectRdnCount === 0) throw loadError('the certificate has an empty subject');
      const identifier = parts.extensions.get(OID.subjectKeyIdentifier);
      keyId = identifier && readSubjectKeyIdentifier(identifier.value);
      const names = parts.extensions.get(OID.nameConstraints);
      permitted = names && readConstraints(names.value);
    } catch (error) {
      if (error instanceof PkiError) throw error;
      throw loadError('the certificate is not a DER X.509 certificate', error);
    }
    const publicKey = await importKey('spki', parts.subjectPublicKeyInfo, ['verify']).catch(
      (error: unknown) => {
        throw loadError('the certificate key is not an ECDSA P-256 key', error);
      },
    );
    const signingKey = await importKey('pkcs8', key, ['sign']).catch((error: unknown) => {
      throw loadError('the key is not a PKCS#8 ECDSA P-256 private key', error);
    });
    // A private JWK carries its public point (RFC 7518 §6.2.2), which must be the certificate's.
    const [privateJwk, publicJwk] = await Promise.all([
      crypto.subtle.exportKey('jwk', signingKey),
      crypto.subtle.exportKey('jwk', publicKey),
    ]);
    if (privateJwk.x !== publicJwk.x || privateJwk.y !== publicJwk.y) {
      throw loadError('the key does not match the certificate');
    }
    return new CertificateAuthority(
      encodePem('CERTIFICATE', certificate),
      encodePem('PRIVATE KEY', key),
      signingKey,
      parts.subject,
      keyId,
      permitted,
    );
  }

  /**
   * Issues a leaf certificate with a fresh ECDSA P-256 key: subject `O=…` (one RDN each) then
   * `CN=…`, basicConstraints `cA FALSE`, keyUsage digitalSignature, the extended key usages of
   * `usage`, the hosts as subjectAltName, and the CA's key identifier.
   *
   * @param request whom the certificate names and what it is for
   * @throws PkiError `ERR_PKI_INVALID_REQUEST` for a host that is neither a DNS name nor an
   *   IP address or that the CA's name constraints do not permit, an empty name or a validity
   *   out of range
   * @example
   *   const admin = await ca.issue({commonName: 'jane', organizations: ['system:masters'], usage: 'client'});
   */
  async issue(request: CertificateRequest): Promise<CertifiedKey> {
    const organizations = request.organizations ?? [];
    checkName('commonName', request.commonName);
    for (const organization of organizations) checkName('organization', organization);
    const hosts = (request.hosts ?? []).map((host) => this.#permittedHost(host));
    const validity = validityPeriod(request.validityDays);
    const keys = await generateKeyPair();
    const spki = await exportSpki(keys.publicKey);
    const extensions = [
      basicConstraints(false),
      keyUsage([KeyUsageBit.digitalSignature]),
      extendedKeyUsage(purposes(request.usage)),
    ];
    if (hosts.length > 0) extensions.push(subjectAltName(hosts));
    extensions.push(subjectKeyIdentifier(await keyIdentifier(spki)));
    if (this.#keyIdentifier) extensions.push(authorityKeyIdentifier(this.#keyIdentifier));
    const certificate = await signCertificate({
      issuer: this.#name,
      subject: distinguishedName([
        ...organizations.map((organization) => [OID.organizationName, organization] as const),
        [OID.commonName, request.commonName],
      ]),
      subjectPublicKeyInfo: spki,
      ...validity,
      extensions,
      signingKey: this.#signingKey,
    });
    return {
      certPem: encodePem('CERTIFICATE', certificate),
      keyPem: await privateKeyPem(keys.privateKey),
    };
  }

  /** A leaf host, when it is in one of the CA's permitted subtrees (if it has any). */
  #permittedHost(host: string): HostName {
    const name = hostName('host', host);
    const permitted = this.#permitted;
    if (permitted && !permitted.some((subtree) => inSubtree(name, subtree))) {
      const allowed = permitted.map(formatSubtree).join(', ') || 'none';
      throw new PkiError(
        `Invalid certificate request: host ${JSON.stringify(host)} is outside the CA's name constraints (permitted: ${allowed})`,
      );
    }
    return name;
  }
}

function purposes(usage: CertificateRequest['usage']): string[] {
  switch (usage) {
    case 'server':
      return [OID.serverAuth];
    case 'client':
      return [OID.clientAuth];
    case 'server-and-client':
      return [OID.serverAuth, OID.clientAuth];
    default:
      return unreachable(usage);
  }
}

function hostName(field: string, host: string): HostName {
  const parsed = parseHost(host);
  if (typeof parsed === 'string') {
    throw new PkiError(`Invalid certificate request: ${field} ${JSON.stringify(host)} ${parsed}`);
  }
  return parsed;
}

/** The subtrees of `create`'s `permittedHosts`, refused unless they constrain both name forms. */
function permittedSubtrees(hosts: readonly string[]): HostSubtree[] {
  const subtrees = hosts.map((host) => {
    const name = hostName('permitted host', host);
    if (name.type === 'dns' && name.name.startsWith('*.')) {
      throw new PkiError(
        `Invalid certificate request: permitted host ${JSON.stringify(host)} is a wildcard; the name after "*." permits its subdomains already`,
      );
    }
    return subtreeOf(name);
  });
  // RFC 5280 §4.2.1.10: a name form without permitted subtrees is not constrained at all.
  if (!subtrees.some(({type}) => type === 'dns') || !subtrees.some(({type}) => type === 'ip')) {
    throw new PkiError(
      'Invalid certificate request: permittedHosts must name both DNS names and IP addresses, or the form left out would be unconstrained',
    );
  }
  return subtrees;
}

/** The permitted subtrees of a loaded CA's nameConstraints. */
function readConstraints(value: Uint8Array<ArrayBuffer>): HostSubtree[] | undefined {
  try {
    return readPermittedSubtrees(value);
  } catch (error) {
    throw loadError('the certificate has name constraints that cannot be read', error);
  }
}

function checkName(field: string, value: string): void {
  if (value === '') throw new PkiError(`Invalid certificate request: ${field} is empty`);
}

/** From 5 minutes ago to `days` from now. */
function validityPeriod(days = DEFAULT_VALIDITY_DAYS): {notBefore: Date; notAfter: Date} {
  const now = Date.now();
  const notAfter = new Date(now + days * DAY_MS);
  // GeneralizedTime ends at 9999 (RFC 5280 §4.1.2.5.2).
  if (!(days > 0) || !(notAfter.getUTCFullYear() <= 9999)) {
    throw new PkiError(
      `Invalid certificate request: validityDays must be a positive number of days ending by the year 9999 (got ${days})`,
    );
  }
  return {notBefore: new Date(now - BACKDATE_MS), notAfter};
}

function importKey(
  format: 'spki' | 'pkcs8',
  der: Uint8Array<ArrayBuffer>,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  return crypto.subtle.importKey(format, der, KEY_ALGORITHM, true, usages);
}

function loadError(reason: string, cause?: unknown): PkiError {
  return new PkiError(`Cannot load CA: ${reason}`, cause === undefined ? undefined : {cause});
}
