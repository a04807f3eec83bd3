export {
  HybridConnectionError,
  KubeconfigError,
  MuxError,
  PortholeError,
  SasTokenError,
} from './errors.js';
export type {AnyCoreError, CoreErrorCode} from './errors.js';

export {createKubeconfig, serializeKubeconfig} from './kubeconfig/kubeconfig.js';
export type {
  Kubeconfig,
  KubeconfigCluster,
  KubeconfigContext,
  KubeconfigCredential,
  KubeconfigOptions,
  KubeconfigUser,
} from './kubeconfig/kubeconfig.js';
