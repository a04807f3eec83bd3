import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {closeSync, openSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {dirname, join, resolve} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

import type {BridgeFiles, KubectlCredential, RelayTarget, TunnelMode} from '@porthole/agent-bridge';

import {clusterName} from '../cluster-name.js';
import type {CliContext} from '../command.js';
import {dataDir} from '../data-dir.js';
import {CredentialRenewal} from '../control-plane/credential-renewal.js';
import {signedInClient} from '../control-plane/signed-in-client.js';
import {CliUsageError, CliWaitError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {RELAY_OPTIONS, relayTarget, tunnelMode} from '../relay-flags.js';
import {SignInFiles} from '../sign-in/session-files.js';

const HINT = 'Run "porthole proxy --help" for its options.';
const BIN = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));

/**
 * `porthole proxy -n <cluster>`: serves the cluster to kubectl at
 * `https://127.0.0.1:<port>/clusters/<cluster>/` and writes a context for it. One bridge per
 * port serves every cluster: the first `porthole proxy` starts it in the background, later ones
 * join it. In the foreground the cluster is served until Ctrl-C; `--daemon` returns at once.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      ...RELAY_OPTIONS,
      name: {type: 'string', short: 'n'},
      token: {type: 'string'},
      port: {type: 'string', default: '47011'},
      file: {type: 'string', short: 'f'},
      'kube-context': {type: 'string'},
      daemon: {type: 'boolean', default: false},
    },
    HINT,
  );
  const cluster = clusterName(values.name, HINT);
  const port = bridgePort(values.port);
  if (values.daemon && usesControlPlane(values)) {
    // Its credential needs renewing: a foreground proxy in the background does that.
    if (values.file === '-') {
      throw new CliUsageError('-f - prints the context; it cannot go with --daemon here', HINT);
    }
    return inBackground(args, cluster, port, values.file, context);
  }
  const saToken = values.token ?? context.env.PORTHOLE_TOKEN;
  const relayCredential = usesControlPlane(values)
    ? await controlPlaneCredential(values, cluster, saToken, context)
    : {...relayTarget(values, context, 'proxy', `clusters/${cluster}`), renew: undefined};
  const {target, mode} = relayCredential;
  const contextName = values['kube-context'] ?? `porthole-${cluster}`;
  const toStdout = values.file === '-';
  const extraKubeconfig =
    values.file === undefined || toStdout ? undefined : resolve(context.cwd, values.file);
  const say = (line: string) => (toStdout ? context.stderr : context.stdout).write(`${line}\n`);

  const {BridgeClient, clusterServerName, contextKubeconfig, ensureBridgeFiles} =
    await import('@porthole/agent-bridge');
  const files = await ensureBridgeFiles(dataDir(context));
  const client = new BridgeClient(port, files);
  if (!(await client.status())) await startBridge(port, files, context);

  const registration = {
    cluster,
    relay: target,
    mode,
    context: contextName,
    credential: await kubectlCredential(saToken, context),
    extraKubeconfig,
    ...(context.correlationId === undefined ? {} : {correlationId: context.correlationId}),
  };
  const announce = (server: string) => {
    if (toStdout)
      context.stdout.write(
        contextKubeconfig({
          name: contextName,
          server,
          caPem: files.caPem,
          tlsServerName: clusterServerName(cluster),
          credential: registration.credential,
        }),
      );
    say(`Proxy for ${cluster} is ready at ${server}`);
    say(`Kubeconfig: ${extraKubeconfig ?? files.kubeconfigPath}`);
    say(`Start sending kubectl requests on '${contextName}' context…`);
  };
  if (values.daemon) {
    const registered = await client.register({...registration, hold: false});
    announce(registered.server);
    say(`Stop it with: porthole proxy stop --port ${port}`);
    return ExitCode.OK;
  }
  const held = await client.hold({...registration, hold: true});
  announce(held.cluster.server);
  say('Press Ctrl+C to close proxy.');
  const renewal = relayCredential.renew?.start(async (token) => {
    if (!(await client.renewRelayToken(cluster, token)))
      throw new Error('the bridge no longer serves this cluster');
  }, context);
  const outcome = await Promise.race([
    once(process, 'SIGINT'),
    once(process, 'SIGTERM'),
    held.lost.then(() => ['lost']),
  ]);
  renewal?.stop();
  held.release();
  if (outcome[0] === 'lost') {
    context.stderr.write('proxy: the bridge stopped serving this cluster\n');
    return ExitCode.FAILURE;
  }
  // The bridge removes the cluster and its contexts once the held registration closes.
  say(`Closed the proxy for ${cluster}.`);
  return ExitCode.OK;
}

/**
 * `porthole proxy --daemon` with a credential from the control plane: the same command without
 * `--daemon`, detached, its output in `proxy-<cluster>.log` beside the bridge's; it holds the
 * registration and renews the credential, and ends when the bridge stops (`proxy stop`). Returns
 * once the bridge serves the cluster.
 *
 * @throws CliWaitError `ERR_CLI_TIMEOUT` with the end of its log when it does not get there
 */
async function inBackground(
  args: readonly string[],
  cluster: string,
  port: number,
  file: string | undefined,
  context: CliContext,
): Promise<number> {
  const {BridgeClient, ensureBridgeFiles} = await import('@porthole/agent-bridge');
  const files = await ensureBridgeFiles(dataDir(context));
  const logPath = join(dirname(files.logPath), `proxy-${cluster}.log`);
  const log = openSync(logPath, 'a', 0o600);
  const child = spawn(
    process.execPath,
    [BIN, 'proxy', ...args.filter((arg) => arg !== '--daemon')],
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: context.env,
      cwd: context.cwd,
    },
  );
  closeSync(log);
  child.unref();
  const client = new BridgeClient(port, files);
  const deadline = Date.now() + 60_000;
  while (child.exitCode === null && Date.now() < deadline) {
    const served = (await client.status())?.clusters.find((entry) => entry.cluster === cluster);
    if (served?.hold) {
      const kubeconfig = file === undefined ? files.kubeconfigPath : resolve(context.cwd, file);
      context.stdout.write(
        `Proxy for ${cluster} is ready at ${served.server}\nKubeconfig: ${kubeconfig}\nStart sending kubectl requests on '${served.context}' context…\nIt runs in the background (pid ${child.pid ?? '?'}, log ${logPath}), renewing its credential; stop it with: porthole proxy stop --port ${port}\n`,
      );
      return ExitCode.OK;
    }
    await sleep(200);
  }
  const tail = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-3);
  throw new CliWaitError(
    'ERR_CLI_TIMEOUT',
    `The background proxy for ${cluster} did not start: ${tail.join(' | ')}`,
    `See ${logPath}.`,
  );
}

/**
 * Whether the relay credential comes from the control plane: unless the command line gives
 * one of its own (a hybrid connection, a SAS rule or a relay token) or names a ws:// relay.
 */
function usesControlPlane(values: {
  relay?: string | undefined;
  'hybrid-connection'?: string | undefined;
  'sas-key-name'?: string | undefined;
  'relay-token'?: string | undefined;
}): boolean {
  const own = [values['hybrid-connection'], values['sas-key-name'], values['relay-token']];
  return own.every((flag) => flag === undefined) && !/^wss?:\/\//.test(values.relay ?? '');
}

/**
 * The relay target from the control plane's `listClusterUserCredential` (as the signed-in
 * principal, who needs Cluster User or higher on the cluster), and what renews it. A renewed
 * token reaches open connections too: a mux connection is renewed in place (mux v2's RENEW),
 * and a relay checks a WebSocket of its own only when it connects, so watches outlive any
 * number of renewals either way.
 */
async function controlPlaneCredential(
  values: {relay?: string | undefined; tunnel?: string | undefined},
  cluster: string,
  saToken: string | undefined,
  context: CliContext,
): Promise<{target: RelayTarget; mode: TunnelMode; renew: CredentialRenewal}> {
  const mode = tunnelMode(values.tunnel, HINT);
  const client = await signedInClient(values, context, 'proxy');
  const fetchCredential = async () =>
    (await client.listClusterUserCredential(cluster, saToken === undefined ? 'AAD' : 'Token'))
      .hybridConnectionConfig;
  const first = await fetchCredential();
  const {relayOrigin} = await import('@porthole/agent-bridge');
  return {
    target: {
      origin: relayOrigin(first.relay),
      entity: first.hybridConnectionName,
      credential: {token: first.token},
    },
    mode,
    renew: new CredentialRenewal(first.expirationTime, fetchCredential),
  };
}

/**
 * What kubectl presents through the bridge: the `--token` given (a service-account token);
 * otherwise, when someone is signed in, `porthole get-token` as an exec plugin, so that kubectl
 * always has a fresh Entra token; otherwise nothing (the user's own kubeconfig entry decides).
 */
async function kubectlCredential(
  token: string | undefined,
  context: CliContext,
): Promise<KubectlCredential> {
  if (token !== undefined) return {token};
  const home = dataDir(context);
  if (!(await new SignInFiles(home).readSession())) return undefined;
  const env = [{name: 'PORTHOLE_HOME', value: home}];
  // The sign-in may depend on a CA that only this environment trusts (a development provider).
  const extraCa = context.env.NODE_EXTRA_CA_CERTS;
  if (extraCa) env.push({name: 'NODE_EXTRA_CA_CERTS', value: extraCa});
  return {exec: {command: process.execPath, args: [BIN, 'get-token'], env}};
}

export function bridgePort(value: string | undefined): number {
  const port = Number(value ?? '47011');
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CliUsageError(
      `--port must be a TCP port (got ${JSON.stringify(value)})`,
      'For example: --port 47011',
    );
  }
  return port;
}

/**
 * Starts the bridge in the background (`porthole proxy serve`) and waits until it answers.
 *
 * @param consoleDir the console's files, when not `@porthole/web`'s build
 */
export async function startBridge(
  port: number,
  files: BridgeFiles,
  context: CliContext,
  consoleDir?: string,
): Promise<void> {
  const log = openSync(files.logPath, 'a', 0o600);
  const args = [BIN, 'proxy', 'serve', '--port', String(port)];
  if (consoleDir !== undefined) args.push('--console-dir', consoleDir);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: context.env,
    cwd: context.cwd,
  });
  closeSync(log);
  child.unref();
  const {BridgeClient} = await import('@porthole/agent-bridge');
  const client = new BridgeClient(port, files);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break;
    if (await client.status()) return;
    await sleep(100);
  }
  // A bridge that could not start says why in its log; its first error is the reason.
  const {AgentBridgeError} = await import('@porthole/agent-bridge');
  throw new AgentBridgeError(
    'ERR_BRIDGE_NOT_RUNNING',
    `The bridge did not start on port ${port}`,
    `See ${files.logPath}.`,
  );
}
