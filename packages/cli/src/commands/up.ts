import {createRequire} from 'node:module';
import {mkdir, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {once} from 'node:events';

import {stringify} from 'yaml';

import {PORTHOLE_BIN, Supervisor} from '../child-processes.js';
import type {Child} from '../child-processes.js';
import type {CliContext} from '../command.js';
import {clusterName} from '../cluster-name.js';
import {dataDir} from '../data-dir.js';
import {CliUsageError, CliWaitError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {kubectl} from '../kubectl.js';
import type {KubeTarget} from '../kubectl.js';
import {bridgePort} from './proxy.js';

const HINT = 'Run "porthole up --help" for its options.';
const MINUTE = 60_000;

/**
 * `porthole up`: everything on this machine, for a first look — a relay with SQLite and the
 * embedded identity provider, a development user signed in, a cluster connected (the current
 * kube context when one answers, otherwise the development cluster of `packages/testing`) with
 * its agent running here, and the bridge. It prints the kubectl line to try; Ctrl-C stops it
 * all. Its files live in `$PORTHOLE_HOME/up`, made afresh on each start, so that it never
 * touches the user's own sign-in.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      name: {type: 'string', short: 'n', default: 'dev'},
      'kube-context': {type: 'string'},
      kubeconfig: {type: 'string'},
      port: {type: 'string', default: '47011'},
      'dev-cluster': {type: 'boolean', default: false},
    },
    HINT,
  );
  const name = clusterName(values.name, HINT);
  const port = bridgePort(values.port);
  const home = join(dataDir(context), 'up');
  await rm(home, {recursive: true, force: true});
  await mkdir(home, {recursive: true, mode: 0o700});
  const say = (line: string) => context.stderr.write(`up: ${line}\n`);
  const children = new Supervisor(context);
  let env: NodeJS.ProcessEnv = {...context.env, PORTHOLE_HOME: home};
  const stopping = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  try {
    // What must keep running; the development cluster, when up started it, is one of them.
    const services: Child[] = [];
    const target = await clusterTarget(values, children, services, context, say);

    say('starting the relay with the embedded identity provider…');
    const relay = children.porthole(
      'relay',
      [
        'relay',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--data-dir',
        join(home, 'relay'),
        '--dev-identity',
        '--dev-identity-listen',
        '127.0.0.1:0',
      ],
      env,
    );
    const relayUrl = (await relay.waitFor(/^listening on (\S+)/, MINUTE))[1] ?? '';
    const caPath = (await relay.waitFor(/^identity provider CA: (\S+)/, MINUTE))[1] ?? '';
    // The relay says where its console is, right after it listens, when it has one.
    const consoleUrl = await relay.waitFor(/^console at (\S+)/, 2000).then(
      (match) => match[1],
      () => undefined,
    );
    env = {...env, NODE_EXTRA_CA_CERTS: caPath};

    say('signing in the development user…');
    await finish(
      children.porthole('login', ['login', '--relay', relayUrl, '--dev-user', 'dev'], env),
      MINUTE,
    );

    say(`connecting cluster ${name}…`);
    const connect = children.porthole(
      'connect',
      [
        'connect',
        '-n',
        name,
        '--apply',
        '--replicas',
        '0',
        '--timeout',
        '120',
        ...kubeFlags(target),
      ],
      env,
    );
    const agentKubeconfig = await agentCredentials(target, home, context);
    const agent = children.porthole(
      'agent',
      [
        'agent',
        'run',
        '--relay',
        relayUrl,
        '--cluster',
        name,
        '--kubeconfig',
        agentKubeconfig,
        '--agent-key-file',
        join(home, 'agent-key'),
      ],
      env,
    );
    await finish(connect, 3 * MINUTE);

    // The developer administers this cluster through a role assignment, as anyone would.
    const account = children.porthole(
      'account',
      ['account', 'show', '--query', 'objectId', '-o', 'tsv'],
      env,
      {quiet: true},
    );
    const objectId = (await account.waitFor(/^([0-9a-f-]{36})$/, MINUTE))[1] ?? '';
    await finish(account, MINUTE);
    await finish(
      children.porthole(
        'role',
        [
          'role',
          'assignment',
          'create',
          '--cluster',
          name,
          '--role',
          'Cluster Admin',
          '--assignee',
          objectId,
          '--assignee-type',
          'User',
        ],
        env,
        {quiet: true},
      ),
      MINUTE,
    );

    say('starting the bridge…');
    const proxy = children.porthole('proxy', ['proxy', '-n', name, '--port', String(port)], env);
    const kubeconfigPath = (await proxy.waitFor(/^Kubeconfig: (\S+)/, MINUTE))[1] ?? '';
    await proxy.waitFor(/^Start sending kubectl requests/, MINUTE);

    context.stdout.write(`
Porthole is up.
  relay and control plane  ${relayUrl}
  cluster                  ${name} (Connected; its agent runs here)
  signed in                dev (PORTHOLE_HOME=${home})
${consoleUrl === undefined ? '' : `  console                  ${consoleUrl}\n`}
Try:
  kubectl --kubeconfig ${kubeconfigPath} --context porthole-${name} get pods -A

Press Ctrl+C to stop everything.
`);
    const outcome = await Promise.race([
      stopping.then(() => undefined),
      Supervisor.firstExit([...services, relay, agent, proxy]),
    ]);
    if (outcome) {
      say(`${outcome.child.name} stopped (exit code ${outcome.code}); stopping the rest`);
      return ExitCode.FAILURE;
    }
    say('stopping…');
    return ExitCode.OK;
  } finally {
    await children.stopAll();
    // The bridge outlives a foreground proxy for a moment; stop it with its contexts.
    await finish(
      new Supervisor(context).porthole('proxy', ['proxy', 'stop', '--port', String(port)], env, {
        quiet: true,
      }),
      MINUTE,
    ).catch(() => undefined);
  }
}

/**
 * The cluster to connect: the one named by flags; else the current context, when it answers;
 * else the development cluster of `packages/testing`, started here (it needs the Kubernetes
 * binaries `npm run toolchain` builds).
 */
async function clusterTarget(
  values: {
    'kube-context'?: string | undefined;
    kubeconfig?: string | undefined;
    'dev-cluster'?: boolean;
  },
  children: Supervisor,
  services: Child[],
  context: CliContext,
  say: (line: string) => void,
): Promise<KubeTarget> {
  const named = {kubeconfig: values.kubeconfig, context: values['kube-context']};
  const explicit = named.kubeconfig !== undefined || named.context !== undefined;
  if (explicit && values['dev-cluster'])
    throw new CliUsageError(
      '--dev-cluster and --kube-context/--kubeconfig exclude each other',
      HINT,
    );
  if (!values['dev-cluster']) {
    const answer = await kubectl(
      ['get', '--raw', '/version', '--request-timeout=5s'],
      named,
      context,
    );
    if (answer.code === 0) {
      say(`using the cluster of ${explicit ? 'the context given' : 'the current kube context'}`);
      return named;
    }
    if (explicit) {
      throw new CliWaitError(
        'ERR_CLI_KUBECTL_FAILED',
        `The cluster of the context given does not answer: ${answer.stderr.trim().split('\n').pop() ?? ''}`,
        'Check it with kubectl get --raw /version, or leave out --kube-context to use the development cluster.',
      );
    }
  }
  let runner: string;
  try {
    runner = join(
      createRequire(PORTHOLE_BIN).resolve('@porthole/testing/package.json'),
      '..',
      'dist',
      'bin',
      'cluster.js',
    );
  } catch {
    throw new CliUsageError(
      'No kube context answers, and the development cluster (packages/testing) is not installed here',
      'Give --kube-context CONTEXT, or run porthole up from a Porthole checkout (npm start).',
    );
  }
  say('no kube context answers: starting the development cluster…');
  const cluster = children.start('cluster', process.execPath, [runner, 'run'], context.env);
  services.push(cluster);
  const kubeconfig = (await cluster.waitFor(/^(\/\S+\/kubeconfig\S*)$/, 5 * MINUTE))[1] ?? '';
  const target = {kubeconfig, context: undefined};
  // Something to look at: a small Deployment in namespace demo (kwok runs its pods).
  const seeded = await kubectl(['apply', '-f', '-'], target, context, JSON.stringify(DEMO));
  if (seeded.code !== 0) say(`could not add the demo workload: ${seeded.stderr.trim()}`);
  return target;
}

/** The development cluster's demo workload: two pods of a Deployment in namespace `demo`. */
const DEMO = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'demo'}},
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'hello', namespace: 'demo'},
      spec: {
        replicas: 2,
        selector: {matchLabels: {app: 'hello'}},
        template: {
          metadata: {labels: {app: 'hello'}},
          spec: {containers: [{name: 'hello', image: 'registry.example/hello:1'}]},
        },
      },
    },
  ],
};

function kubeFlags(target: KubeTarget): string[] {
  return [
    ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
    ...(target.context ? ['--kube-context', target.context] : []),
  ];
}

/**
 * Waits for the manifest `connect` applies, then makes what the agent runs with here: its key
 * (from the Secret) in a 0600 file it also keeps rotated keys in, and a kubeconfig with a token
 * of its own service account — so that it has exactly the rights the manifest gives it.
 */
async function agentCredentials(
  target: KubeTarget,
  home: string,
  context: CliContext,
): Promise<string> {
  const deadline = Date.now() + 2 * MINUTE;
  let secret: {data?: Record<string, string>} | undefined;
  while (!secret?.data?.key) {
    if (Date.now() > deadline) {
      throw new CliWaitError(
        'ERR_CLI_TIMEOUT',
        'The agent Secret did not appear in the cluster',
        'See the connect lines above.',
      );
    }
    const read = await kubectl(
      ['get', 'secret', 'porthole-agent', '-n', 'porthole-system', '-o', 'json'],
      target,
      context,
    );
    secret = read.code === 0 ? (JSON.parse(read.stdout) as typeof secret) : undefined;
    if (!secret?.data?.key) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await writeFile(join(home, 'agent-key'), Buffer.from(secret.data.key, 'base64'), {mode: 0o600});
  const token = await kubectl(
    ['create', 'token', 'porthole-agent', '-n', 'porthole-system', '--duration', '24h'],
    target,
    context,
  );
  const view = await kubectl(
    ['config', 'view', '--minify', '--raw', '-o', 'json'],
    target,
    context,
  );
  if (token.code !== 0 || view.code !== 0) {
    throw new CliWaitError(
      'ERR_CLI_KUBECTL_FAILED',
      `Cannot make the agent's credentials: ${(token.stderr || view.stderr).trim()}`,
      'The context needs the rights to create service-account tokens.',
    );
  }
  const cluster =
    (JSON.parse(view.stdout) as {clusters: {cluster: Record<string, string>}[]}).clusters[0]
      ?.cluster ?? {};
  const kubeconfig = join(home, 'agent-kubeconfig');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{name: 'cluster', cluster}],
      users: [{name: 'porthole-agent', user: {token: token.stdout.trim()}}],
      contexts: [{name: 'agent', context: {cluster: 'cluster', user: 'porthole-agent'}}],
      'current-context': 'agent',
    }),
    {mode: 0o600},
  );
  return kubeconfig;
}

async function finish(child: Child, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => child.process.kill('SIGTERM'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new CliWaitError(
      'ERR_CLI_TIMEOUT',
      `${child.name} failed (exit code ${code})`,
      'The lines above say why.',
    );
  }
}
