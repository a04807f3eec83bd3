import {parseForwardProxy} from '../egress/proxy-selection.js';
import {relayOrigin} from '../tunnel/relay-target.js';
import {agentClusterRole, roleAssignmentBinding} from './agent-rbac.js';
import type {KubeObject} from './agent-rbac.js';

/** What {@link agentManifest} needs: the answer of `porthole connect` and the image to run. */
export interface AgentManifestOptions {
  /** The cluster's name on the relay. */
  cluster: string;
  /** The relay's URL as agents reach it (`https://relay.example`). */
  relay: string;
  /** The agent credential's rule, `porthole-agent`. */
  keyName: string;
  /** The agent credential's key: it goes into the Secret only. */
  key: string;
  /** The image with the `porthole` command, e.g. `ghcr.io/porthole/porthole:0.1.0`. */
  image: string;
  /** Where the agent runs. Default `porthole-system`. */
  namespace?: string;
  /**
   * Agents to run. Default 1. They share the credential: when one rotates it, the others
   * read the new key from the Secret once the relay refuses the old one. 0 installs
   * everything but runs no agent (one runs elsewhere with the Secret's key).
   */
  replicas?: number;
  /** How the agent goes out through a forward proxy; default: directly. */
  egress?: AgentEgress;
}

/**
 * The agent's way out through a forward proxy (Arc's `--proxy-https`, `--proxy-skip-range`,
 * `--proxy-cert`): its connections to the relay, the identity provider and Graph take it.
 */
export interface AgentEgress {
  /** The proxy's URL, `user:password@` included when it needs them: it goes into the Secret only. */
  httpsProxy: string;
  /** Hosts, `.domains` and CIDRs that go direct (`NO_PROXY`). */
  noProxy?: readonly string[];
  /**
   * A CA certificate (PEM) the agent trusts besides the system's: the proxy's own, or that of a
   * proxy that inspects TLS.
   */
  caPem?: string;
}

/** The agent's name: its ServiceAccount, ClusterRole, Secret and Deployment. */
export const AGENT_NAME = 'porthole-agent';

/** The agent's default namespace. */
export const AGENT_NAMESPACE = 'porthole-system';

/** The fields of the agent's Secret; the Deployment reads `PORTHOLE_AGENT_KEY` from `key`. */
export const AGENT_SECRET_FIELDS = {
  relay: 'relay',
  cluster: 'cluster',
  keyName: 'keyName',
  key: 'key',
  /** The forward proxy's URL, when the agent goes out through one (`HTTPS_PROXY`). */
  httpsProxy: 'httpsProxy',
} as const;

/** Where the agent finds the CA of {@link AgentEgress.caPem}: a ConfigMap, mounted read-only. */
const PROXY_CA = {
  configMap: `${AGENT_NAME}-proxy-ca`,
  dir: '/etc/porthole/proxy-ca',
  file: 'ca.crt',
};

/**
 * The objects that install the agent in a cluster, in the order `kubectl apply` should create
 * them: its namespace and ServiceAccount; the ClusterRole of {@link agentClusterRole} (impersonation
 * and listing nodes) with its binding; {@link roleAssignmentBinding}; a Role and RoleBinding
 * that let it read and patch its own Secret and no other (to keep a rotated key); the Secret
 * with the relay, the cluster and the credential; and a Deployment (one replica by default) that runs
 * `porthole agent run --relay … --cluster …` as a non-root user on a read-only root
 * filesystem, with no capabilities and no host paths. It has no probe: the agent serves no
 * endpoint of its own, and the relay reports it through heartbeats. With `egress`, the proxy's
 * URL is in the Secret (read as `HTTPS_PROXY`), `NO_PROXY` is set, and a CA is a ConfigMap the
 * agent trusts through `NODE_EXTRA_CA_CERTS`.
 *
 * @example
 *   const objects = agentManifest({cluster: 'prod', relay: 'https://relay.example',
 *     keyName: 'porthole-agent', key, image: 'ghcr.io/porthole/porthole:0.1.0'});
 *   await writeFile('agent.json', JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects}));
 */
export function agentManifest(options: AgentManifestOptions): KubeObject[] {
  const namespace = options.namespace ?? AGENT_NAMESPACE;
  // The relay as the agent's --relay takes it; a bad URL fails here, not in the pod.
  relayOrigin(options.relay);
  const {egress} = options;
  if (egress !== undefined) parseForwardProxy('egress.httpsProxy', egress.httpsProxy);
  const labels = {'app.kubernetes.io/name': AGENT_NAME, 'app.kubernetes.io/part-of': 'porthole'};
  const subject = {kind: 'ServiceAccount', name: AGENT_NAME, namespace};
  const credentialRole = `${AGENT_NAME}-credential`;
  return [
    {apiVersion: 'v1', kind: 'Namespace', metadata: {name: namespace, labels}},
    {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: AGENT_NAME, namespace, labels}},
    agentClusterRole(AGENT_NAME),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: {name: AGENT_NAME, labels},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_NAME},
      subjects: [subject],
    },
    roleAssignmentBinding(),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: {name: credentialRole, namespace, labels},
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [AGENT_NAME],
          verbs: ['get', 'patch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: {name: credentialRole, namespace, labels},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: credentialRole},
      subjects: [subject],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {name: AGENT_NAME, namespace, labels},
      type: 'Opaque',
      stringData: {
        [AGENT_SECRET_FIELDS.relay]: options.relay,
        [AGENT_SECRET_FIELDS.cluster]: options.cluster,
        [AGENT_SECRET_FIELDS.keyName]: options.keyName,
        [AGENT_SECRET_FIELDS.key]: options.key,
        ...(egress === undefined ? {} : {[AGENT_SECRET_FIELDS.httpsProxy]: egress.httpsProxy}),
      },
    },
    ...(egress?.caPem === undefined
      ? []
      : [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {name: PROXY_CA.configMap, namespace, labels},
            data: {[PROXY_CA.file]: egress.caPem},
          },
        ]),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: AGENT_NAME, namespace, labels},
      spec: {
        replicas: options.replicas ?? 1,
        selector: {matchLabels: {'app.kubernetes.io/name': AGENT_NAME}},
        // The new pod listens before the old one drains: no moment without an agent.
        strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: 1, maxUnavailable: 0}},
        template: {
          metadata: {labels},
          spec: {
            serviceAccountName: AGENT_NAME,
            // A numeric user, so that runAsNonRoot holds whatever USER the image names.
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: {type: 'RuntimeDefault'},
            },
            // The agent drains for 30 s (--drain-timeout) on SIGTERM.
            terminationGracePeriodSeconds: 40,
            containers: [
              {
                name: 'agent',
                image: options.image,
                args: [
                  'agent',
                  'run',
                  '--relay',
                  options.relay,
                  '--cluster',
                  options.cluster,
                  '--credential-secret',
                  `${namespace}/${AGENT_NAME}`,
                ],
                env: [
                  {
                    name: 'PORTHOLE_AGENT_KEY',
                    valueFrom: {secretKeyRef: {name: AGENT_NAME, key: AGENT_SECRET_FIELDS.key}},
                  },
                  ...egressEnv(egress),
                ],
                ...(egress?.caPem === undefined
                  ? {}
                  : {volumeMounts: [{name: 'proxy-ca', mountPath: PROXY_CA.dir, readOnly: true}]}),
                resources: {
                  requests: {cpu: '50m', memory: '64Mi'},
                  limits: {cpu: '1', memory: '512Mi'},
                },
                securityContext: {
                  runAsNonRoot: true,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  capabilities: {drop: ['ALL']},
                },
              },
            ],
            ...(egress?.caPem === undefined
              ? {}
              : {volumes: [{name: 'proxy-ca', configMap: {name: PROXY_CA.configMap}}]}),
          },
        },
      },
    },
  ];
}

/** The agent's proxy settings as environment variables; the URL comes from the Secret. */
function egressEnv(egress: AgentEgress | undefined): object[] {
  if (egress === undefined) return [];
  return [
    {
      name: 'HTTPS_PROXY',
      valueFrom: {secretKeyRef: {name: AGENT_NAME, key: AGENT_SECRET_FIELDS.httpsProxy}},
    },
    ...(egress.noProxy === undefined || egress.noProxy.length === 0
      ? []
      : [{name: 'NO_PROXY', value: egress.noProxy.join(',')}]),
    ...(egress.caPem === undefined
      ? []
      : [{name: 'NODE_EXTRA_CA_CERTS', value: `${PROXY_CA.dir}/${PROXY_CA.file}`}]),
  ];
}
