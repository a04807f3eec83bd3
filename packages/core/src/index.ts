export {
  AuthError,
  HybridConnectionError,
  KubeError,
  KubeconfigError,
  MuxError,
  PkiError,
  PortholeError,
  SasTokenError,
} from './errors.js';
export type {AnyCoreError, AuthErrorCode, CoreErrorCode, KubeErrorCode} from './errors.js';

export {createKubeconfig, serializeKubeconfig} from './kubeconfig/kubeconfig.js';
export type {
  Kubeconfig,
  KubeconfigCluster,
  KubeconfigContext,
  KubeconfigCredential,
  KubeconfigOptions,
  KubeconfigUser,
} from './kubeconfig/kubeconfig.js';

export {CertificateAuthority} from './pki/certificate-authority.js';
export type {CertificateRequest, CertifiedKey} from './pki/certificate-authority.js';
export {generateSigningKey} from './pki/signing-key.js';
