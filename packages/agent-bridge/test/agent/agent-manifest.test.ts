import {describe, expect, it} from 'vitest';

import {AGENT_CLUSTER_ROLE_RULES, agentManifest, ROLE_ASSIGNMENT_GROUP} from '../../src/index.js';
import type {KubeObject} from '../../src/index.js';

const OPTIONS = {
  cluster: 'prod',
  relay: 'https://relay.example',
  keyName: 'porthole-agent',
  key: 'c2VjcmV0LWtleQ==',
  image: 'ghcr.io/porthole/porthole:0.1.0',
};

function find(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (!found) throw new Error(`no ${kind} ${name ?? ''}`);
  return found;
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  volumes?: unknown[];
  containers: {
    image: string;
    args: string[];
    env: unknown[];
    resources: {requests?: object; limits?: object};
    securityContext: Record<string, unknown>;
    livenessProbe?: unknown;
    readinessProbe?: unknown;
  }[];
}

function podSpec(objects: KubeObject[]): PodSpec {
  return (find(objects, 'Deployment').spec as {template: {spec: PodSpec}}).template.spec;
}

describe('agentManifest', () => {
  it('holds, in apply order, everything the agent needs and nothing else', () => {
    const objects = agentManifest(OPTIONS);
    expect(
      objects.map(({kind, metadata}) => `${kind}/${metadata.namespace ?? ''}/${metadata.name}`),
    ).toEqual([
      'Namespace//porthole-system',
      'ServiceAccount/porthole-system/porthole-agent',
      'ClusterRole//porthole-agent',
      'ClusterRoleBinding//porthole-agent',
      'ClusterRoleBinding//porthole-role-assignments',
      'Role/porthole-system/porthole-agent-credential',
      'RoleBinding/porthole-system/porthole-agent-credential',
      'Secret/porthole-system/porthole-agent',
      'Deployment/porthole-system/porthole-agent',
    ]);
  });

  it('gives the ClusterRole impersonation and listing nodes only', () => {
    const role = find(agentManifest(OPTIONS), 'ClusterRole');
    expect(role.rules).toEqual(AGENT_CLUSTER_ROLE_RULES);
    const rules = role.rules as {resources: string[]; verbs: string[]}[];
    expect(new Set(rules.flatMap((rule) => rule.verbs))).toEqual(new Set(['impersonate', 'list']));
    expect(rules.filter((rule) => rule.verbs.includes('list'))).toEqual([
      {apiGroups: [''], resources: ['nodes'], verbs: ['list']},
    ]);
    expect(rules.flatMap((rule) => rule.resources)).not.toContain('serviceaccounts');
    expect(find(agentManifest(OPTIONS), 'ClusterRoleBinding', 'porthole-agent')).toMatchObject({
      roleRef: {kind: 'ClusterRole', name: 'porthole-agent'},
      subjects: [{kind: 'ServiceAccount', name: 'porthole-agent', namespace: 'porthole-system'}],
    });
    expect(
      find(agentManifest(OPTIONS), 'ClusterRoleBinding', 'porthole-role-assignments'),
    ).toMatchObject({subjects: [{kind: 'Group', name: ROLE_ASSIGNMENT_GROUP}]});
  });

  it('lets the agent get and patch its own Secret and no other', () => {
    const objects = agentManifest({...OPTIONS, namespace: 'tools'});
    expect(find(objects, 'Role').rules).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['porthole-agent'],
        verbs: ['get', 'patch'],
      },
    ]);
    expect(find(objects, 'RoleBinding')).toMatchObject({
      metadata: {namespace: 'tools'},
      roleRef: {kind: 'Role', name: 'porthole-agent-credential'},
      subjects: [{kind: 'ServiceAccount', name: 'porthole-agent', namespace: 'tools'}],
    });
  });

  it('keeps the relay, the cluster and the credential in the Secret, and the key nowhere else', () => {
    const objects = agentManifest(OPTIONS);
    expect(find(objects, 'Secret')).toMatchObject({
      type: 'Opaque',
      stringData: {
        relay: 'https://relay.example',
        cluster: 'prod',
        keyName: 'porthole-agent',
        key: OPTIONS.key,
      },
    });
    const others = objects.filter((object) => object.kind !== 'Secret');
    expect(JSON.stringify(others)).not.toContain(OPTIONS.key);
  });

  it('runs one agent, non-root on a read-only root, without capabilities, host paths or probes', () => {
    const objects = agentManifest(OPTIONS);
    expect((find(objects, 'Deployment').spec as {replicas: number}).replicas).toBe(1);
    const pod = podSpec(objects);
    expect(pod.serviceAccountName).toBe('porthole-agent');
    expect(pod.securityContext).toMatchObject({runAsNonRoot: true});
    expect(JSON.stringify(objects)).not.toMatch(/hostPath|hostNetwork|hostPID|privileged/);
    const [container, ...more] = pod.containers;
    expect(more).toEqual([]);
    expect(container).toMatchObject({
      image: OPTIONS.image,
      args: [
        'agent',
        'run',
        '--relay',
        'https://relay.example',
        '--cluster',
        'prod',
        '--credential-secret',
        'porthole-system/porthole-agent',
      ],
      env: [
        {
          name: 'PORTHOLE_AGENT_KEY',
          valueFrom: {secretKeyRef: {name: 'porthole-agent', key: 'key'}},
        },
      ],
      securityContext: {
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: {drop: ['ALL']},
      },
    });
    expect(container?.resources.requests).toBeDefined();
    expect(container?.resources.limits).toBeDefined();
    expect(container?.livenessProbe).toBeUndefined();
    expect(container?.readinessProbe).toBeUndefined();
  });

  it('names its Secret in --credential-secret wherever it is installed', () => {
    const [container] = podSpec(
      agentManifest({...OPTIONS, namespace: 'tools', replicas: 0}),
    ).containers;
    expect(container?.args.slice(-2)).toEqual(['--credential-secret', 'tools/porthole-agent']);
  });

  it('goes out through a proxy: its URL in the Secret only, NO_PROXY, and a CA to trust', () => {
    const proxy = 'http://agent:s3cret@proxy.corp.example:3128';
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const objects = agentManifest({
      ...OPTIONS,
      egress: {httpsProxy: proxy, noProxy: ['.corp.example', '10.0.0.0/8'], caPem},
    });
    expect(find(objects, 'Secret').stringData).toMatchObject({httpsProxy: proxy});
    expect(JSON.stringify(objects.filter((object) => object.kind !== 'Secret'))).not.toContain(
      's3cret',
    );
    expect(find(objects, 'ConfigMap', 'porthole-agent-proxy-ca')).toMatchObject({
      metadata: {namespace: 'porthole-system'},
      data: {'ca.crt': caPem},
    });
    const pod = podSpec(objects);
    const [container] = pod.containers;
    expect(container?.env).toEqual([
      {name: 'PORTHOLE_AGENT_KEY', valueFrom: {secretKeyRef: {name: 'porthole-agent', key: 'key'}}},
      {
        name: 'HTTPS_PROXY',
        valueFrom: {secretKeyRef: {name: 'porthole-agent', key: 'httpsProxy'}},
      },
      {name: 'NO_PROXY', value: '.corp.example,10.0.0.0/8'},
      {name: 'NODE_EXTRA_CA_CERTS', value: '/etc/porthole/proxy-ca/ca.crt'},
    ]);
    expect(container).toMatchObject({
      volumeMounts: [{name: 'proxy-ca', mountPath: '/etc/porthole/proxy-ca', readOnly: true}],
    });
    expect(pod.volumes).toEqual([{name: 'proxy-ca', configMap: {name: 'porthole-agent-proxy-ca'}}]);
    // The ConfigMap comes before the Deployment that mounts it.
    const kinds = objects.map((object) => object.kind);
    expect(kinds.indexOf('ConfigMap')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  it('sets only what is given: a proxy without NO_PROXY or a CA mounts nothing', () => {
    const objects = agentManifest({...OPTIONS, egress: {httpsProxy: 'proxy.corp.example:3128'}});
    const [container] = podSpec(objects).containers;
    expect(container?.env.map((variable) => (variable as {name: string}).name)).toEqual([
      'PORTHOLE_AGENT_KEY',
      'HTTPS_PROXY',
    ]);
    expect(JSON.stringify(objects)).not.toMatch(/ConfigMap|volumeMounts|NODE_EXTRA_CA_CERTS/);
  });

  it('refuses a proxy that is not an HTTP(S) proxy URL, without quoting its password', () => {
    for (const httpsProxy of ['socks5://user:s3cret@proxy:1080', 'http://user:s3cret@:3128']) {
      let failure: unknown;
      try {
        agentManifest({...OPTIONS, egress: {httpsProxy}});
      } catch (error) {
        failure = error;
      }
      expect(failure).toMatchObject({code: 'ERR_TUNNEL_PROXY_INVALID'});
      expect((failure as Error).message).not.toContain('s3cret');
    }
  });

  it('refuses a relay that is not a URL', () => {
    expect(() => agentManifest({...OPTIONS, relay: 'https://relay.example/path'})).toThrow(
      expect.objectContaining({code: 'ERR_TUNNEL_RELAY_INVALID'}),
    );
  });
});
