import type {SharedCluster} from '@porthole/testing';

/** A user of the test directory. */
export interface TestUser {
  /** The sign-in name typed in the embedded provider's form. */
  name: string;
  upn: string;
  displayName: string;
  objectId: string;
}

/**
 * What the global setup started for the browser tests: a relay serving the built console with
 * its control plane and embedded identity provider, a cluster connected through an agent, and
 * a pod to look at. Plain data, for vitest's `provide`.
 */
export interface WebE2eEnvironment {
  /** `http://127.0.0.1:PORT`. */
  relayUrl: string;
  /** `${relayUrl}/console/`. */
  consoleUrl: string;
  /** The embedded identity provider's origin, `https://127.0.0.1:PORT`. */
  identityOrigin: string;
  /** The base64 SHA-256 of its certificate's public key, for Chromium to trust it alone. */
  identitySpki: string;
  /** For `porthole` commands run by tests: `PORTHOLE_HOME`, `NODE_EXTRA_CA_CERTS`. */
  cliEnv: Record<string, string>;
  /** The connected cluster, its workload namespace, and a pod in it with a log that grows. */
  cluster: string;
  namespace: string;
  pod: string;
  logsFile: string;
  /** The kubeconfig of demo's agent (its service account): another agent may share it. */
  agentKubeconfig: string;
  kube: SharedCluster;
  users: {ops: TestUser; viewer: TestUser};
  /** Where tests write screenshots (gitignored). */
  screenshots: string;
  /** A scratch directory the tests may write in. */
  scratch: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    web: WebE2eEnvironment;
  }
}
