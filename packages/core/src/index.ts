export {
  AuthError,
  ControlPlaneError,
  HybridConnectionError,
  KubeError,
  KubeconfigError,
  MuxError,
  PkiError,
  PortholeError,
  SasTokenError,
} from './errors.js';
export type {
  AnyCoreError,
  AuthErrorCode,
  ControlErrorCode,
  CoreErrorCode,
  KubeErrorCode,
} from './errors.js';

export {createKubeconfig, serializeKubeconfig} from './kubeconfig/kubeconfig.js';
export type {
  Kubeconfig,
  KubeconfigCluster,
  KubeconfigContext,
  KubeconfigCredential,
  KubeconfigOptions,
  KubeconfigUser,
} from './kubeconfig/kubeconfig.js';

export {shellWord} from './lib/shell-word.js';

export {CertificateAuthority} from './pki/certificate-authority.js';
export type {CertificateRequest, CertifiedKey} from './pki/certificate-authority.js';
export {generateSigningKey} from './pki/signing-key.js';
