import {once} from 'node:events';
import {readFile} from 'node:fs/promises';

import type {
  AgentKeyStore,
  KubeEndpoint,
  Logger,
  RelayTarget,
  TunnelMode,
} from '@porthole/agent-bridge';

import type {CliContext} from '../command.js';
import {CliInputError, CliUsageError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {
  CONTROL_PLANE_ENTRA_FLAGS,
  controlPlaneEntraConfig,
  ENTRA_OPTIONS,
  entraConfig,
  entraOptions,
  entraStage,
} from '../entra-flags.js';
import type {EntraOptions} from '../entra-flags.js';
import {RELAY_OPTIONS, relayTarget, tunnelMode} from '../relay-flags.js';

const HINT = 'Run "porthole agent run --help" for its options.';

const OPTIONS = {
  ...RELAY_OPTIONS,
  ...ENTRA_OPTIONS,
  cluster: {type: 'string'},
  'agent-key-file': {type: 'string'},
  'credential-secret': {type: 'string'},
  kubeconfig: {type: 'string'},
  context: {type: 'string'},
  'drain-timeout': {type: 'string', default: '30'},
} as const;

type Values = ReturnType<typeof parseFlags<typeof OPTIONS>>;

/** The flags of the hybrid-connection mode, which `--cluster` replaces with the control plane. */
const HYBRID_CONNECTION_FLAGS = ['hybrid-connection', 'sas-key-name', 'sas-key', 'relay-token'];

/** Where the agent's Secret is when it runs in a cluster and `--credential-secret` is absent. */
const DEFAULT_CREDENTIAL_SECRET = 'porthole-system/porthole-agent';

/** A running agent, whichever way it was configured. */
interface Serving {
  target: RelayTarget;
  stop(drainMs: number): Promise<void>;
}

/**
 * `porthole agent run`: listens on the relay and serves kubectl's requests to this cluster's
 * apiserver, with the pod's service account (in a cluster) or a kubeconfig (outside one).
 *
 * With `--cluster NAME` the agent is a registered cluster's: its credential (`PORTHOLE_AGENT_KEY`
 * or `--agent-key-file`) opens the control plane, which says which Entra tokens to accept and
 * which role assignments to enforce; the agent sends heartbeats and rotates its credential
 * before it expires, keeping the new key in its Secret (`--credential-secret`, by default
 * porthole-system/porthole-agent in a cluster) or in `--agent-key-file`.
 *
 * Without it, the agent listens on `--hybrid-connection` with a SAS rule or a token:
 * service-account tokens pass through; with `--entra-tenant`, Entra tokens are validated and
 * impersonated.
 *
 * SIGTERM or SIGINT drains: no new connections, in-flight ones get `--drain-timeout`.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(args, OPTIONS, HINT);
  const drainSeconds = Number(values['drain-timeout']);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
    throw new CliUsageError(
      `--drain-timeout must be a number of seconds (got ${JSON.stringify(values['drain-timeout'])})`,
      'For example: --drain-timeout 30',
    );
  }
  const serving =
    values.cluster === undefined
      ? await hybridConnectionAgent(values, context)
      : await controlPlaneAgent(values, values.cluster, context);
  context.stdout.write(`listening on ${serving.target.origin}/$hc/${serving.target.entity}\n`);
  const [signal] = (await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')])) as [
    string,
  ];
  context.stderr.write(`agent: draining (${signal}), up to ${drainSeconds}s\n`);
  await serving.stop(drainSeconds * 1000);
  return ExitCode.OK;
}

/** The agent of a hybrid connection: a SAS rule or token, Entra settings from flags. */
async function hybridConnectionAgent(values: Values, context: CliContext): Promise<Serving> {
  const stray = (['agent-key-file', 'credential-secret'] as const).find(
    (flag) => values[flag] !== undefined,
  );
  if (stray) throw new CliUsageError(`--${stray} goes with --cluster`, HINT);
  const {target, mode} = relayTarget(values, context, 'agent run');
  const entra = entraConfig(values, context);
  const {Agent, stderrLogger} = await import('@porthole/agent-bridge');
  const cluster = await kubeEndpoint(values, context);
  const authenticator = entra ? await entraStage(entra, cluster) : undefined;
  const agent = await Agent.start({
    relay: target,
    mode,
    cluster,
    ...(authenticator ? {authenticator} : {}),
    log: stderrLogger,
  });
  return {target, stop: (drainMs) => agent.stop({drainMs})};
}

/**
 * The agent of a registered cluster: the control plane's configuration first (waiting while
 * the relay cannot be reached), then the listener, then heartbeats and credential rotation.
 */
async function controlPlaneAgent(
  values: Values,
  name: string,
  context: CliContext,
): Promise<Serving> {
  const checked = checkControlPlaneFlags(values, context);
  const {
    Agent,
    AgentHeartbeat,
    ConfiguredAuthenticator,
    ControlPlaneClient,
    awaitConfiguration,
    fileKeyStore,
    secretKeyStore,
    stderrLogger,
  } = await import('@porthole/agent-bridge');
  const log: Logger = stderrLogger;
  const key = checked.keyFile === undefined ? checked.envKey : await readKey(checked.keyFile);
  let client;
  try {
    client = new ControlPlaneClient({
      relay: checked.relay,
      cluster: name,
      key,
      ...(context.correlationId ? {correlationId: context.correlationId} : {}),
    });
  } catch (err) {
    if ((err as {code?: unknown}).code !== 'ERR_AGENT_CLUSTER_NOT_FOUND') throw err;
    throw new CliUsageError(
      `--cluster must be a cluster name: 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit (got ${JSON.stringify(name)})`,
      HINT,
    );
  }
  const cluster = await kubeEndpoint(values, context);
  const keyStore: AgentKeyStore =
    checked.keyFile !== undefined
      ? fileKeyStore(checked.keyFile)
      : secretKeyStore({cluster, ...checked.secret});
  const configuration = await awaitConfiguration(client, {log});
  // Graph flags with a control plane that has no Entra sign-in are refused before starting.
  controlPlaneEntraConfig(configuration.entra, checked.entra);
  // The control plane's sign-in settings, applied again whenever a heartbeat brings others.
  const authenticator = await ConfiguredAuthenticator.create(
    configuration.entra,
    (entra) =>
      entraStage(controlPlaneEntraConfig(entra, checked.entra), cluster, {
        assignments: () => client.roleAssignments(),
      }),
    log,
  );
  const agent = await Agent.start({
    relay: client.relayTarget,
    mode: checked.mode,
    cluster,
    authenticator,
    log,
  });
  const heartbeat = AgentHeartbeat.start({
    controlPlane: client,
    cluster,
    agent,
    keyStore,
    log,
    onConfiguration: (current) => authenticator.configure(current.entra),
  });
  return {
    target: client.relayTarget,
    stop: async (drainMs) => {
      await heartbeat.stop();
      await agent.stop({drainMs});
    },
  };
}

/**
 * The flags of `--cluster`, checked before anything is read or dialled.
 *
 * @throws CliUsageError naming the flag at fault (never a key)
 */
function checkControlPlaneFlags(
  values: Values,
  context: CliContext,
): {
  relay: string;
  mode: TunnelMode;
  envKey: string;
  keyFile: string | undefined;
  secret: {namespace: string; name: string};
  entra: EntraOptions;
} {
  const relay = values.relay;
  if (!relay)
    throw new CliUsageError('--relay is required: the relay URL, e.g. https://relay.example', HINT);
  const conflicting = HYBRID_CONNECTION_FLAGS.find(
    (flag) => values[flag as keyof Values] !== undefined,
  );
  if (conflicting) {
    throw new CliUsageError(
      `--${conflicting} does not go with --cluster: the agent credential is PORTHOLE_AGENT_KEY or --agent-key-file`,
      HINT,
    );
  }
  const fromControlPlane = CONTROL_PLANE_ENTRA_FLAGS.find((flag) => values[flag] !== undefined);
  if (fromControlPlane) {
    throw new CliUsageError(
      `--${fromControlPlane} does not go with --cluster: the control plane says which Entra tokens to accept and which role assignments apply`,
      HINT,
    );
  }
  const keyFile = values['agent-key-file'];
  const envKey = context.env.PORTHOLE_AGENT_KEY ?? '';
  if (keyFile !== undefined && envKey !== '') {
    throw new CliUsageError(
      'give the agent key either in PORTHOLE_AGENT_KEY or with --agent-key-file, not both',
      HINT,
    );
  }
  if (keyFile === undefined && envKey === '') {
    throw new CliUsageError(
      'the agent credential is required: its key in PORTHOLE_AGENT_KEY, or --agent-key-file FILE',
      HINT,
    );
  }
  if (keyFile !== undefined && values['credential-secret'] !== undefined) {
    throw new CliUsageError(
      '--credential-secret does not go with --agent-key-file: rotated keys are kept in the file',
      HINT,
    );
  }
  const inCluster = kubeconfigPath(values, context) === undefined;
  const secretName =
    values['credential-secret'] ?? (inCluster ? DEFAULT_CREDENTIAL_SECRET : undefined);
  if (keyFile === undefined && secretName === undefined) {
    throw new CliUsageError(
      'outside a cluster, --cluster needs --agent-key-file FILE or --credential-secret NAMESPACE/NAME, to keep the keys it rotates to',
      HINT,
    );
  }
  const [namespace = '', name = '', ...more] = (secretName ?? DEFAULT_CREDENTIAL_SECRET).split('/');
  if (more.length > 0 || !KUBE_NAME.test(namespace) || !KUBE_NAME.test(name)) {
    throw new CliUsageError(
      `--credential-secret must be NAMESPACE/NAME (got ${JSON.stringify(secretName)})`,
      HINT,
    );
  }
  return {
    relay,
    mode: tunnelMode(values.tunnel, HINT),
    envKey,
    keyFile,
    secret: {namespace, name},
    entra: entraOptions(values, context),
  };
}

/** A Kubernetes namespace or Secret name (DNS subdomain, which covers labels). */
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function kubeconfigPath(values: Values, context: CliContext): string | undefined {
  return values.kubeconfig ?? context.env.KUBECONFIG?.split(':')[0];
}

/** The apiserver as the agent reaches it: a kubeconfig's, or the pod's service account. */
async function kubeEndpoint(values: Values, context: CliContext): Promise<KubeEndpoint> {
  const {inClusterEndpoint, kubeconfigEndpoint} = await import('@porthole/agent-bridge');
  const kubeconfig = kubeconfigPath(values, context);
  return kubeconfig
    ? kubeconfigEndpoint(kubeconfig, values.context)
    : inClusterEndpoint(context.env);
}

/** @throws CliInputError when the file cannot be read or is empty */
async function readKey(path: string): Promise<string> {
  let key: string;
  try {
    key = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new CliInputError(
      `Cannot read --agent-key-file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'read failed'}`,
      {cause: err},
    );
  }
  if (key === '') throw new CliInputError(`--agent-key-file ${path} is empty`);
  return key;
}
