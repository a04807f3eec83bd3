import {X509Certificate} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {resolve} from 'node:path';

import {stringify} from 'yaml';

import type {AgentEgress} from '@porthole/agent-bridge';
import type {Cluster} from '@porthole/core/control-plane';

import type {CliContext} from '../command.js';
import {clusterName} from '../cluster-name.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {CliInputError, CliUsageError, CliWaitError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {kubectl} from '../kubectl.js';
import {OUTPUT_OPTIONS, outputChoice, renderOutput} from '../output.js';
import {waitWithProgress} from '../progress.js';
import {PORTHOLE_VERSION} from '../version.js';
import {clusterTable} from './cluster-table.js';

const HINT = 'Run "porthole connect --help" for its options.';

/**
 * `porthole connect -n NAME`: registers the cluster with the relay's control plane and prints
 * the agent's manifest (namespace, service account, least-privilege RBAC, the Secret with the
 * agent's credential, the Deployment). With `--apply` it applies the manifest with kubectl
 * and waits, with a progress display, until the agent reports Connected.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      ...CONTROL_PLANE_OPTIONS,
      ...OUTPUT_OPTIONS,
      name: {type: 'string', short: 'n'},
      apply: {type: 'boolean', default: false},
      'kube-context': {type: 'string'},
      kubeconfig: {type: 'string'},
      image: {type: 'string', default: `ghcr.io/porthole-dev/porthole:${PORTHOLE_VERSION}`},
      namespace: {type: 'string', default: 'porthole-system'},
      timeout: {type: 'string', default: '300'},
      replicas: {type: 'string', default: '1'},
      'regenerate-credential': {type: 'boolean', default: false},
      'proxy-https': {type: 'string'},
      'proxy-skip-range': {type: 'string'},
      'proxy-cert': {type: 'string'},
    },
    HINT,
  );
  const egress = await agentEgress(values, context);
  const choice = outputChoice(values);
  const name = clusterName(values.name, HINT);
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new CliUsageError(
      `--timeout must be a number of seconds (got ${JSON.stringify(values.timeout)})`,
      HINT,
    );
  }
  if (!values.apply && (values['kube-context'] !== undefined || values.kubeconfig !== undefined)) {
    throw new CliUsageError('--kube-context and --kubeconfig go with --apply', HINT);
  }
  const replicas = Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new CliUsageError(
      `--replicas must be a whole number (got ${JSON.stringify(values.replicas)})`,
      HINT,
    );
  }
  const client = await signedInClient(values, context, 'connect');
  const {agentManifest} = await import('@porthole/agent-bridge');
  const regenerate = values['regenerate-credential'];
  // A new credential for a registered cluster (an expired or leaked one) revokes the old one.
  const agentCredential = regenerate
    ? await client.regenerateAgentCredential(name)
    : (await client.createCluster(name)).agentCredential;
  const manifest = agentManifest({
    replicas,
    cluster: name,
    relay: agentCredential.relay,
    keyName: agentCredential.keyName,
    key: agentCredential.key,
    image: values.image,
    namespace: values.namespace,
    ...(egress === undefined ? {} : {egress}),
  });
  if (!values.apply) {
    // The manifest is the output: it holds the agent's credential, so it goes to stdout only.
    context.stdout.write(manifest.map((object) => `---\n${stringify(object)}`).join(''));
    context.stderr.write(
      `Registered ${name}. Apply the manifest to the cluster (kubectl apply -f -), then: porthole show -n ${name}\n`,
    );
    return ExitCode.OK;
  }
  const target = {kubeconfig: values.kubeconfig, context: values['kube-context']};
  const applied = await kubectl(
    ['apply', '-f', '-'],
    target,
    context,
    JSON.stringify({apiVersion: 'v1', kind: 'List', items: manifest}),
  );
  if (applied.code !== 0) {
    throw new CliWaitError(
      'ERR_CLI_KUBECTL_FAILED',
      `kubectl apply of the agent manifest failed: ${applied.stderr.trim().split('\n').slice(-3).join(' ')}`,
      `The cluster ${name} is registered; fix access to the cluster and run again after porthole delete -n ${name} --yes, or apply the manifest from porthole connect without --apply.`,
    );
  }
  context.stderr.write(`Applied the agent manifest (${manifest.length} objects) to the cluster.\n`);
  if (regenerate) {
    // The agent reads its credential at start: restart it on the new one.
    await kubectl(
      ['rollout', 'restart', 'deployment/porthole-agent', '-n', values.namespace],
      target,
      context,
    );
  }
  const connected = await waitWithProgress<Cluster>(
    context,
    `Waiting for the agent of ${name}`,
    async () => {
      const current = await client.getCluster(name);
      return {
        status: current.connectivityStatus,
        ...(current.connectivityStatus === 'Connected' ? {done: current} : {}),
      };
    },
    {
      timeoutMs: timeoutSeconds * 1000,
      hint: `Look at the agent: kubectl -n ${values.namespace} logs deploy/porthole-agent; then porthole doctor -n ${name}`,
    },
  );
  context.stdout.write(renderOutput(connected, choice, () => clusterTable([connected])));
  return ExitCode.OK;
}

/**
 * The agent's forward proxy from `--proxy-https` (Arc's flags): the URL checked here, where the
 * flag can be named, `--proxy-skip-range` as `NO_PROXY` entries, `--proxy-cert` read and checked.
 *
 * @throws CliUsageError for a skip range or certificate without a proxy, or an empty entry;
 *   ForwardProxyError `ERR_TUNNEL_PROXY_INVALID` for a URL that is not an HTTP(S) proxy's;
 *   CliInputError for a certificate file that cannot be read or holds no certificate
 */
async function agentEgress(
  values: {
    'proxy-https'?: string | undefined;
    'proxy-skip-range'?: string | undefined;
    'proxy-cert'?: string | undefined;
  },
  context: CliContext,
): Promise<AgentEgress | undefined> {
  const httpsProxy = values['proxy-https'];
  if (httpsProxy === undefined) {
    if (values['proxy-skip-range'] !== undefined || values['proxy-cert'] !== undefined)
      throw new CliUsageError('--proxy-skip-range and --proxy-cert go with --proxy-https', HINT);
    return undefined;
  }
  const {parseForwardProxy} = await import('@porthole/agent-bridge');
  parseForwardProxy('--proxy-https', httpsProxy);
  const skip = values['proxy-skip-range'];
  const noProxy = skip === undefined ? [] : skip.split(',').map((entry) => entry.trim());
  if (noProxy.some((entry) => entry === '' || /\s/.test(entry)))
    throw new CliUsageError(
      `--proxy-skip-range must list hosts, .domains and CIDRs separated by commas (got ${JSON.stringify(skip)})`,
      'For example: --proxy-skip-range .corp.example,10.0.0.0/8',
    );
  const certFile = values['proxy-cert'];
  let caPem: string | undefined;
  if (certFile !== undefined) {
    const path = resolve(context.cwd, certFile);
    try {
      caPem = await readFile(path, 'utf8');
      new X509Certificate(caPem);
    } catch (err) {
      throw new CliInputError(`--proxy-cert ${certFile} is not a readable PEM certificate`, {
        cause: err,
      });
    }
  }
  return {
    httpsProxy,
    ...(noProxy.length === 0 ? {} : {noProxy}),
    ...(caPem === undefined ? {} : {caPem}),
  };
}
