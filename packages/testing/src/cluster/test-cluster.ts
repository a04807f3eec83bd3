import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {TestingError} from '../errors.js';
import {locateToolchain} from '../toolchain.js';
import type {Toolchain} from '../toolchain.js';
import type {HttpsClient} from './https-client.js';
import {startEtcd} from './etcd.js';
import {startKubeApiserver} from './kube-apiserver.js';
import {startKubeControllerManager} from './kube-controller-manager.js';
import {startKubeScheduler} from './kube-scheduler.js';
import {startKwok} from './kwok.js';
import {ClusterLayout, writePki} from './layout.js';
import type {ManagedProcess} from './managed-process.js';
import {freePort} from './ports.js';
import {waitFor} from './wait-for.js';

/** Options of {@link startTestCluster}. */
export interface TestClusterOptions {
  /**
   * Where the cluster keeps its files: a directory that does not exist yet, or is empty, and
   * is the cluster's alone. Default: a new temporary directory, removed by `stop()`.
   */
  dir?: string;
  /** How many kwok nodes to register. Default 1. */
  nodes?: number;
  /** How long each component may take to become ready. Default 60 s. */
  readyTimeoutMs?: number;
  /** Progress, one line per step. */
  log?: (line: string) => void;
}

/** A running test cluster. */
export interface TestCluster {
  /** The directory holding the cluster's PKI, kubeconfigs, logs and data. */
  dir: string;
  /** A kubeconfig whose current context is the cluster admin (`system:masters`). */
  kubeconfigPath: string;
  /** The apiserver's URL, `https://127.0.0.1:<port>`. */
  server: string;
  /** The PEM of the CA that signed the apiserver's certificate, and its path. */
  caPem: string;
  caPath: string;
  /** The apiserver's audit log (JSON lines). */
  auditLogPath: string;
  /** The kwok nodes, all Ready. */
  nodeNames: string[];
  versions: Toolchain['versions'];
  /** The PID of each process, by name. */
  pids: Record<string, number>;
  /**
   * Settles with `ERR_CLUSTER_COMPONENT_EXITED` if a component exits before `stop()`; never
   * rejects, and stays pending while the cluster is healthy.
   */
  crashed: Promise<TestingError>;
  /** Stops every process (SIGTERM, then SIGKILL) and removes a temporary `dir`. */
  stop(): Promise<void>;
}

/**
 * Starts a real Kubernetes control plane on 127.0.0.1 — etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler — with throwaway PKI, and kwok for nodes whose pods
 * answer logs, exec, attach and port-forward. Needs the binaries from `npm run toolchain`.
 *
 * @throws TestingError `ERR_TOOLCHAIN_MISSING`, or `ERR_CLUSTER_START_FAILED` with the end of
 *   the failing component's log; everything started so far is stopped first
 * @example
 *   const cluster = await startTestCluster();
 *   onTestFinished(() => cluster.stop());
 *   execFileSync('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'get', 'ns']);
 */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const toolchain = await locateToolchain();
  for (let attempt = 1; ; attempt++) {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'porthole-cluster-')));
    try {
      return await startOnce(toolchain, dir, options);
    } catch (err) {
      // Ports are picked free, then bound by another process a moment later; another
      // program may take one in between. Start afresh rather than fail the run.
      const clash = err instanceof Error && err.message.includes('address already in use');
      if (attempt >= PORT_CLASH_ATTEMPTS || !clash) throw err;
      options.log?.(`a port was taken while starting; retrying (attempt ${attempt + 1})`);
      await rm(dir, {recursive: true, force: true});
    }
  }
}

const PORT_CLASH_ATTEMPTS = 3;

async function startOnce(
  toolchain: Toolchain,
  dir: string,
  options: TestClusterOptions,
): Promise<TestCluster> {
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const log = options.log ?? (() => undefined);
  const temporary = options.dir === undefined;
  const layout = new ClusterLayout(dir);
  const processes: ManagedProcess[] = [];
  let admin: HttpsClient | undefined;
  let stopping = false;

  const stop = async () => {
    stopping = true;
    admin?.close();
    // Reverse order: clients before the servers they talk to, etcd last.
    for (const process of processes.reverse()) await process.stop();
    processes.length = 0;
    if (temporary) await rm(dir, {recursive: true, force: true});
  };

  try {
    await layout.create();
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const pki = await writePki(layout, server);

    log('starting etcd');
    const etcd = await startEtcd(toolchain.bin.etcd, layout, pki, timeoutMs);
    processes.push(etcd.process);

    log('starting kube-apiserver');
    const apiserver = await startKubeApiserver({
      binary: toolchain.bin.kubeApiserver,
      layout,
      pki,
      etcdUrl: etcd.url,
      port,
      timeoutMs,
    });
    processes.push(apiserver.process);
    admin = apiserver.admin;

    log('starting kube-controller-manager, kube-scheduler and kwok');
    const controllerManager = await startKubeControllerManager(
      toolchain.bin.kubeControllerManager,
      layout,
      pki,
    );
    processes.push(controllerManager);
    const nodeNames = Array.from({length: options.nodes ?? 1}, (_, i) => `kwok-node-${i}`);
    const [scheduler, kwok] = await Promise.all([
      startKubeScheduler(toolchain.bin.kubeScheduler, layout, pki, timeoutMs),
      startKwok({toolchain, layout, pki, admin, nodeNames, timeoutMs}),
    ]);
    processes.push(scheduler, kwok);
    // The serviceaccount controller creating `default` shows the controller manager at work;
    // until then the ServiceAccount admission plugin refuses pods in the namespace.
    const apiAdmin = admin;
    await waitFor(
      'the default ServiceAccount',
      async () => {
        const {status} = await apiAdmin.request(
          'GET',
          '/api/v1/namespaces/default/serviceaccounts/default',
        );
        return status === 200 ? true : undefined;
      },
      {process: controllerManager, timeoutMs},
    );

    const crashed = Promise.race(
      processes.map(async (process) => {
        const {code, signal} = await process.exited;
        return new TestingError(
          'ERR_CLUSTER_COMPONENT_EXITED',
          `${process.name} exited (${signal ?? `code ${code}`}); its log ${process.logPath} ends:\n${process.logTail()}`,
        );
      }),
    ).then((error) => (stopping ? new Promise<never>(() => undefined) : error));
    return {
      dir,
      kubeconfigPath: layout.kubeconfig('admin'),
      server,
      caPem: pki.ca.certPem,
      caPath: pki.caCert,
      auditLogPath: layout.path('audit', 'audit.log'),
      nodeNames,
      versions: toolchain.versions,
      crashed,
      pids: Object.fromEntries(processes.map((p) => [p.name, p.pid])),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
