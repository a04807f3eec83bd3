import {lookup} from 'node:dns/promises';
import {request as httpRequest} from 'node:http';
import {connect} from 'node:net';

import type {CliContext} from '../command.js';
import {clusterName} from '../cluster-name.js';
import type {ControlPlaneClient} from '../control-plane/control-plane-client.js';
import {CONTROL_PLANE_OPTIONS, signedInClient} from '../control-plane/signed-in-client.js';
import {dataDir} from '../data-dir.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {accessToken} from '../sign-in/msal-apps.js';
import {SignInFiles} from '../sign-in/session-files.js';

const HINT = 'Run "porthole doctor --help" for its options.';
const TIMEOUT_MS = 10_000;

/** What one check found: `fix` says what to do when it failed. */
interface Finding {
  ok: boolean;
  detail: string;
  fix?: string;
}

/** What the checks learn and pass on. */
interface Facts {
  relay: URL;
  client: ControlPlaneClient;
  cluster: string;
  userToken?: string;
  relayToken?: {origin: string; entity: string; token: string};
  /** `--debug`: sent through the tunnel as well, for the agent's log. */
  correlationId?: string;
}

/**
 * `porthole doctor -n NAME`: checks the way to a cluster in the order a request takes it — the
 * relay's name and address, a WebSocket upgrade to it, the sign-in and the cluster credential,
 * the agent's last heartbeat, then `/version` and an access review through the tunnel — and
 * says in words what is wrong and what to do. It stops at the first failure: later checks
 * depend on it.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {...CONTROL_PLANE_OPTIONS, name: {type: 'string', short: 'n'}, token: {type: 'string'}},
    HINT,
  );
  const cluster = clusterName(values.name, HINT);
  const client = await signedInClient(values, context, 'doctor');
  const facts: Facts = {
    relay: new URL(client.relay),
    client,
    cluster,
    ...(context.correlationId === undefined ? {} : {correlationId: context.correlationId}),
  };
  const saToken = values.token ?? context.env.PORTHOLE_TOKEN;
  const checks: [string, () => Promise<Finding>][] = [
    ['Relay name resolves', () => resolves(facts)],
    ['Relay accepts connections', () => reachable(facts, context)],
    ['WebSocket upgrade reaches the relay', () => upgrades(facts)],
    ['Signed in', () => signedIn(facts, context)],
    ['Cluster credential', () => credential(facts, saToken)],
    ["Agent's last heartbeat", () => heartbeat(facts)],
    ['Apiserver answers /version through the tunnel', () => version(facts, saToken)],
    ['Access review through the tunnel', () => accessReview(facts, saToken)],
  ];
  for (const [name, check] of checks) {
    let finding: Finding;
    try {
      finding = await check();
    } catch (err) {
      const hint = (err as {hint?: unknown}).hint;
      finding = {
        ok: false,
        detail: `${(err as {code?: string}).code ?? 'error'}: ${(err as Error).message}`,
        ...(typeof hint === 'string' ? {fix: hint} : {}),
      };
    }
    context.stdout.write(`${finding.ok ? '✓' : '✗'} ${name}: ${finding.detail}\n`);
    if (!finding.ok) {
      if (finding.fix) context.stdout.write(`  → ${finding.fix}\n`);
      return ExitCode.FAILURE;
    }
  }
  context.stdout.write(
    `All checks passed: kubectl through porthole proxy -n ${cluster} should work.\n`,
  );
  return ExitCode.OK;
}

async function resolves({relay}: Facts): Promise<Finding> {
  const host = relay.hostname.replace(/^\[|\]$/g, '');
  try {
    const addresses = await lookup(host, {all: true});
    return {ok: true, detail: `${host} → ${addresses.map((a) => a.address).join(', ')}`};
  } catch (err) {
    return {
      ok: false,
      detail: `${host} does not resolve (${(err as {code?: string}).code ?? 'error'})`,
      fix: 'Check the relay URL (porthole account show), and the DNS of this machine.',
    };
  }
}

async function reachable({relay}: Facts, context: CliContext): Promise<Finding> {
  const {ProxySelection, egressFetch, openProxyTunnel} = await import('@porthole/agent-bridge');
  const port = Number(relay.port || (relay.protocol === 'https:' ? 443 : 80));
  const host = relay.hostname.replace(/^\[|\]$/g, '');
  // The way the agent's and the bridge's WebSockets take: through HTTPS_PROXY unless NO_PROXY
  // (or the loopback rule) sends the relay direct. An unusable proxy variable throws here.
  const proxy = ProxySelection.fromEnv(context.env).proxyFor(relay);
  if (proxy) {
    // A CONNECT to the relay checks the proxy, its credentials and its policy at once.
    const tunnel = await openProxyTunnel(proxy, {host, port}).catch((err: unknown) => {
      const {code, message, hint} = err as {code: string; message: string; hint: string};
      throw Object.assign(new Error(message), {
        code,
        hint: `${hint} The proxy is ${proxy.address}, from ${proxy.variable}; NO_PROXY lists the hosts that go direct.`,
      });
    });
    tunnel.destroy();
  } else {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({host, port, timeout: TIMEOUT_MS});
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('timeout', () => socket.destroy(new Error('no answer in time')));
      socket.once('error', reject);
    }).catch((err: unknown) => {
      const variables =
        relay.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy'];
      const proxied = variables.some((name) => context.env[name]?.trim());
      throw Object.assign(
        new Error(
          `${host}:${port} refuses or drops connections (${(err as {code?: string}).code ?? (err as Error).message})`,
        ),
        {
          hint: proxied
            ? `Porthole goes to ${host} direct, not through the proxy: NO_PROXY lists it, or it is this machine's loopback. If this machine needs the proxy for it, take it out of NO_PROXY.`
            : 'Check that the relay runs, and that a firewall lets this machine reach it on that port; set HTTPS_PROXY if this machine reaches the internet through a proxy.',
        },
      );
    });
  }
  const via = proxy ? ` through proxy ${proxy.address}` : '';
  const health = await egressFetch({env: context.env})(new URL('/healthz', relay), {
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return health.ok
    ? {ok: true, detail: `${host}:${port} answers${via}, /healthz ${health.status}`}
    : {
        ok: false,
        detail: `${host}:${port}${via} answers /healthz with ${health.status}`,
        fix: 'The relay is not healthy (or this is not a Porthole relay); see its log.',
      };
}

/** An upgrade without a token: the relay's own 401 proves WebSockets get through to it. */
async function upgrades(facts: Facts): Promise<Finding> {
  const {nodeWebSocketFactory} = await import('@porthole/agent-bridge');
  const ws = `${facts.relay.protocol === 'https:' ? 'wss' : 'ws'}://${facts.relay.host}/$hc/clusters/${facts.cluster}?sb-hc-action=connect`;
  const status = await new Promise<number | string>((resolve) => {
    const socket = nodeWebSocketFactory()(ws, {protocols: [], headers: {}}) as unknown as {
      once(event: string, listener: (...args: unknown[]) => void): void;
      close(): void;
    };
    socket.once('unexpected-response', (_request, response) => {
      resolve((response as {statusCode?: number}).statusCode ?? 0);
    });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('error', (err) => resolve((err as {code?: string}).code ?? 'error'));
  });
  if (status === 401 || status === 101) {
    return {
      ok: true,
      detail: `the relay answered the upgrade itself (${status} without a token, as it should)`,
    };
  }
  return {
    ok: false,
    detail: `the upgrade got ${status} instead of the relay's 401`,
    fix: 'Something between here and the relay does not pass WebSockets: allow Upgrade: websocket to the relay host (proxies and firewalls often strip it).',
  };
}

async function signedIn(facts: Facts, context: CliContext): Promise<Finding> {
  const files = new SignInFiles(dataDir(context));
  const session = await files.readSession();
  const result = await files.withLock(() => accessToken(session, files, context.env));
  facts.userToken = result.accessToken;
  return {
    ok: true,
    detail: `${session?.username ?? '?'} (${session?.objectId ?? '?'}), token valid until ${result.expiresOn?.toISOString() ?? '?'}`,
  };
}

async function credential(facts: Facts, saToken: string | undefined): Promise<Finding> {
  const answer = await facts.client.listClusterUserCredential(
    facts.cluster,
    saToken === undefined ? 'AAD' : 'Token',
  );
  const config = answer.hybridConnectionConfig;
  facts.relayToken = {
    origin: config.relay,
    entity: config.hybridConnectionName,
    token: config.token,
  };
  return {
    ok: true,
    detail: `a sender token for ${config.hybridConnectionName}, valid until ${new Date(config.expirationTime * 1000).toISOString()}`,
  };
}

async function heartbeat(facts: Facts): Promise<Finding> {
  const cluster = await facts.client.getCluster(facts.cluster);
  const seen = cluster.lastConnectivityTime;
  const errors =
    cluster.agentErrors.length > 0 ? `; it reports: ${cluster.agentErrors.join('; ')}` : '';
  switch (cluster.connectivityStatus) {
    case 'Connected':
      return {
        ok: cluster.agentErrors.length === 0,
        detail: `Connected, agent ${cluster.agentVersion ?? '?'}, Kubernetes ${cluster.kubernetesVersion ?? '?'}, last heartbeat ${seen ?? '?'}${errors}`,
        fix: 'The agent runs but reports problems: see its log (kubectl -n porthole-system logs deploy/porthole-agent).',
      };
    case 'Connecting':
      return {
        ok: false,
        detail: 'the agent has never reported',
        fix: `Apply the agent's manifest (porthole connect -n ${facts.cluster} --apply) and check that its pod runs: kubectl -n porthole-system get pods.`,
      };
    case 'Offline':
      return {
        ok: false,
        detail: `the agent was last heard from at ${seen ?? '?'}${errors}`,
        fix: 'Check the agent pod and that the cluster can reach the relay on 443: kubectl -n porthole-system logs deploy/porthole-agent.',
      };
    case 'Expired':
      return {
        ok: false,
        detail: `the agent's credential expired at ${cluster.agentCredentialExpiresAt ?? '?'}`,
        fix: `Issue a new one and apply it: porthole connect -n ${facts.cluster} --regenerate-credential --apply`,
      };
  }
}

async function version(facts: Facts, saToken: string | undefined): Promise<Finding> {
  const {status, body} = await throughTunnel(facts, saToken, 'GET', '/version');
  if (status !== 200) {
    return {
      ok: false,
      detail: `GET /version answered ${status}: ${body.slice(0, 200)}`,
      fix: "See the agent's log.",
    };
  }
  return {
    ok: true,
    detail: `Kubernetes ${(JSON.parse(body) as {gitVersion?: string}).gitVersion ?? '?'}`,
  };
}

async function accessReview(facts: Facts, saToken: string | undefined): Promise<Finding> {
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {resourceAttributes: {verb: 'list', resource: 'pods'}},
  };
  const {status, body} = await throughTunnel(
    facts,
    saToken,
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    JSON.stringify(review),
  );
  if (status === 401) {
    return {
      ok: false,
      detail: 'the agent refused the credential (401)',
      fix:
        saToken === undefined
          ? 'Sign in again (porthole login); the agent may trust another tenant or audience.'
          : 'The service-account token is not valid for this cluster.',
    };
  }
  if (status !== 201 && status !== 200) {
    return {
      ok: false,
      detail: `the review answered ${status}: ${body.slice(0, 300)}`,
      fix: 'See the agent log.',
    };
  }
  const allowed = (JSON.parse(body) as {status?: {allowed?: boolean}}).status?.allowed === true;
  return {
    ok: true,
    detail: allowed
      ? 'you may list pods in the default namespace'
      : 'reached the apiserver; you may not list pods in the default namespace (bind a role, or ask for a role assignment)',
  };
}

/** One HTTP/1.1 request to the apiserver over a fresh tunnel, as kubectl's would travel. */
async function throughTunnel(
  facts: Facts,
  saToken: string | undefined,
  method: string,
  path: string,
  body?: string,
): Promise<{status: number; body: string}> {
  const {TunnelDialer, nodeWebSocketFactory, relayOrigin} = await import('@porthole/agent-bridge');
  const target = facts.relayToken;
  if (!target) throw new Error('no cluster credential');
  const dialer = new TunnelDialer({
    target: {
      origin: relayOrigin(target.origin),
      entity: target.entity,
      credential: {token: target.token},
    },
    mode: 'websocket',
    webSocket: nodeWebSocketFactory(),
  });
  const stream = await dialer.connect();
  try {
    return await new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          createConnection: () => stream,
          method,
          path,
          headers: {
            host: 'kubernetes',
            authorization: `Bearer ${saToken ?? facts.userToken ?? ''}`,
            ...(facts.correlationId === undefined
              ? {}
              : {'x-ms-correlation-request-id': facts.correlationId}),
            ...(body === undefined ? {} : {'content-type': 'application/json'}),
          },
          timeout: TIMEOUT_MS,
        },
        (answer) => {
          let text = '';
          answer.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          answer.once('end', () => resolve({status: answer.statusCode ?? 0, body: text}));
        },
      );
      outgoing.once('timeout', () => outgoing.destroy(new Error('no answer in time')));
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  } finally {
    stream.destroy();
    dialer.close();
  }
}
