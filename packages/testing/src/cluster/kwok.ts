import {readFile, writeFile} from 'node:fs/promises';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';

import type {Toolchain} from '../toolchain.js';
import {HttpsClient} from './https-client.js';
import type {ClusterLayout, ClusterPki} from './layout.js';
import {ManagedProcess} from './managed-process.js';
import {freePort} from './ports.js';
import {waitFor} from './wait-for.js';

const STAGES = fileURLToPath(new URL('../../assets/kwok-stages.yaml', import.meta.url));
const KWOK_API = '/apis/kwok.x-k8s.io/v1alpha1';

/** kwok's kinds that the cluster serves as CRDs, so that tests can add rules of their own. */
const KWOK_KINDS = [
  'Attach',
  'ClusterAttach',
  'Exec',
  'ClusterExec',
  'Logs',
  'ClusterLogs',
  'PortForward',
  'ClusterPortForward',
];

/** What {@link startKwok} needs. */
export interface KwokOptions {
  toolchain: Toolchain;
  layout: ClusterLayout;
  pki: ClusterPki;
  admin: HttpsClient;
  nodeNames: readonly string[];
  timeoutMs: number;
}

/**
 * Installs kwok's CRDs and the cluster-wide rules that make every pod answer `exec`, `logs`
 * and `attach`, registers the fake nodes, then starts kwok and waits until they are Ready.
 *
 * `exec` runs the command on this machine, in `/` as a container would, and as the
 * unprivileged user 65534 when the cluster runs as root. kwok's node server does not
 * authenticate its callers, so anyone who can reach 127.0.0.1 could run commands that way:
 * this cluster is for tests and single-user development machines only.
 */
export async function startKwok(options: KwokOptions): Promise<ManagedProcess> {
  const {toolchain, layout, pki, admin, nodeNames, timeoutMs} = options;
  await installCrds(toolchain, admin);
  await createWorkloadRules(layout, admin);
  for (const name of nodeNames) {
    await admin.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: {'kwok.x-k8s.io/node': 'fake'},
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
        },
      },
    });
  }

  const port = await freePort();
  const process = await ManagedProcess.start(
    'kwok',
    toolchain.bin.kwok,
    [
      `--kubeconfig=${layout.kubeconfig('kwok')}`,
      `--config=${STAGES}`,
      '--manage-all-nodes=true',
      '--node-ip=127.0.0.1',
      `--node-port=${port}`,
      `--server-address=127.0.0.1:${port}`,
      `--tls-cert-file=${pki.kwokServing.cert}`,
      `--tls-private-key-file=${pki.kwokServing.key}`,
      '--node-lease-duration-seconds=40',
      `--enable-crds=${KWOK_KINDS.join(',')}`,
    ],
    {logPath: layout.log('kwok')},
  );

  await waitFor(
    `nodes ${nodeNames.join(', ')} to be Ready`,
    async () => {
      const {status, body} = await admin.request('GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
      if (status !== 200) return undefined;
      const ready = (body as NodeList).items.filter((node) =>
        node.status?.conditions?.some(
          (condition) => condition.type === 'Ready' && condition.status === 'True',
        ),
      );
      return ready.length === nodeNames.length ? true : undefined;
    },
    {process, timeoutMs},
  );
  return process;
}

interface Condition {
  type: string;
  status: string;
}

interface NodeList {
  items: {status?: {conditions?: Condition[]}}[];
}

async function installCrds(toolchain: Toolchain, admin: HttpsClient): Promise<void> {
  const names: string[] = [];
  for (const file of toolchain.kwokCrds) {
    const crd = parse(await readFile(file, 'utf8')) as {metadata: {name: string}};
    await admin.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    names.push(crd.metadata.name);
  }
  await waitFor(
    'kwok CRDs to be established',
    async () => {
      for (const name of names) {
        const {body} = await admin.request(
          'GET',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        );
        const conditions = (body as {status?: {conditions?: Condition[]}}).status?.conditions ?? [];
        if (!conditions.some((c) => c.type === 'Established' && c.status === 'True'))
          return undefined;
      }
      return true;
    },
    {timeoutMs: 30_000},
  );
}

/**
 * Every pod execs in `/`, and logs and attaches print `kwok/container.log`. Tests override
 * them per pod with namespaced `Exec`, `Logs`, `Attach` and `PortForward` objects.
 */
async function createWorkloadRules(layout: ClusterLayout, admin: HttpsClient): Promise<void> {
  const workDir = '/';
  const logsFile = layout.path('kwok', 'container.log');
  await writeFile(logsFile, criLogLines(['porthole test cluster: container started']));
  const unprivileged =
    process.getuid?.() === 0 ? {securityContext: {runAsUser: 65534, runAsGroup: 65534}} : {};
  const metadata = {name: 'porthole-test-cluster'};
  await admin.create(`${KWOK_API}/clusterexecs`, {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterExec',
    metadata,
    spec: {execs: [{local: {workDir, ...unprivileged}}]},
  });
  await admin.create(`${KWOK_API}/clusterlogs`, {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterLogs',
    metadata,
    spec: {logs: [{logsFile, follow: true}]},
  });
  await admin.create(`${KWOK_API}/clusterattaches`, {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterAttach',
    metadata,
    spec: {attaches: [{logsFile}]},
  });
}

/**
 * Formats lines as a container runtime writes them (the CRI log format kwok reads:
 * `<RFC 3339 time> <stream> F <text>`), for files behind kwok `Logs` rules.
 *
 * @param lines one entry per line, without newlines
 * @param stream which stream the lines were written to
 */
export function criLogLines(
  lines: readonly string[],
  stream: 'stdout' | 'stderr' = 'stdout',
): string {
  const time = new Date().toISOString();
  return lines.map((line) => `${time} ${stream} F ${line}\n`).join('');
}
