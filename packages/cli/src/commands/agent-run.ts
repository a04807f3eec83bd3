import {once} from 'node:events';

import type {CliContext} from '../command.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {ENTRA_OPTIONS, entraConfig, entraStage} from '../entra-flags.js';
import {RELAY_OPTIONS, relayTarget} from '../relay-flags.js';

/**
 * `porthole agent run`: listens on the relay and serves kubectl's requests to this cluster's
 * apiserver, with the pod's service account (in a cluster) or a kubeconfig (outside one).
 * Service-account tokens pass through; with `--entra-tenant`, Entra tokens are validated and
 * impersonated.
 * SIGTERM or SIGINT drains: no new connections, in-flight ones get `--drain-timeout`.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      ...RELAY_OPTIONS,
      ...ENTRA_OPTIONS,
      kubeconfig: {type: 'string'},
      context: {type: 'string'},
      'drain-timeout': {type: 'string', default: '30'},
    },
    'Run "porthole agent run --help" for its options.',
  );
  const {target, mode} = relayTarget(values, context, 'agent run');
  const entra = entraConfig(values, context);
  const drainSeconds = Number(values['drain-timeout']);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
    throw new CliUsageError(
      `--drain-timeout must be a number of seconds (got ${JSON.stringify(values['drain-timeout'])})`,
      'For example: --drain-timeout 30',
    );
  }
  const {Agent, inClusterEndpoint, kubeconfigEndpoint, stderrLogger} =
    await import('@porthole/agent-bridge');
  const kubeconfig = values.kubeconfig ?? context.env.KUBECONFIG?.split(':')[0];
  const cluster = kubeconfig
    ? await kubeconfigEndpoint(kubeconfig, values.context)
    : await inClusterEndpoint(context.env);
  const authenticator = entra ? await entraStage(entra, cluster) : undefined;
  const agent = await Agent.start({
    relay: target,
    mode,
    cluster,
    ...(authenticator ? {authenticator} : {}),
    log: stderrLogger,
  });
  context.stdout.write(`listening on ${target.origin}/$hc/${target.entity}\n`);
  const [signal] = (await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')])) as [
    string,
  ];
  context.stderr.write(`agent: draining (${signal}), up to ${drainSeconds}s\n`);
  await agent.stop({drainMs: drainSeconds * 1000});
  return ExitCode.OK;
}
