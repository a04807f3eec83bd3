import {readFile} from 'node:fs/promises';

import type {Authenticator, KubeEndpoint} from '@porthole/agent-bridge';
import {
  clientCredentialToken,
  EntraTokenValidator,
  GraphGroupResolver,
  isObjectId,
  parseRoleAssignments,
} from '@porthole/core/auth';
import type {RoleAssignment} from '@porthole/core/auth';

import type {CliContext} from './command.js';
import {CliInputError, CliUsageError} from './errors.js';

/**
 * The `parseArgs` options of reading the groups of tokens with group overage from Microsoft
 * Graph, which the agent and the relay's control plane both take.
 */
export const GRAPH_OPTIONS = {
  'graph-url': {type: 'string'},
  'graph-client-id': {type: 'string'},
  'graph-client-secret': {type: 'string'},
  'graph-token-url': {type: 'string'},
  'graph-scope': {type: 'string'},
} as const;

/** The values of {@link GRAPH_OPTIONS}. */
export interface GraphValues {
  'graph-url'?: string | undefined;
  'graph-client-id'?: string | undefined;
  'graph-client-secret'?: string | undefined;
  'graph-token-url'?: string | undefined;
  'graph-scope'?: string | undefined;
}

/** The `parseArgs` options of the agent's Entra sign-in. */
export const ENTRA_OPTIONS = {
  'entra-tenant': {type: 'string', multiple: true},
  'entra-audience': {type: 'string', multiple: true},
  'entra-issuer': {type: 'string', multiple: true},
  'entra-user-name': {type: 'string'},
  ...GRAPH_OPTIONS,
  'role-assignments': {type: 'string'},
} as const;

interface EntraValues extends GraphValues {
  'entra-tenant'?: string[] | undefined;
  'entra-audience'?: string[] | undefined;
  'entra-issuer'?: string[] | undefined;
  'entra-user-name'?: string | undefined;
  'role-assignments'?: string | undefined;
}

const HINT = 'Run "porthole agent run --help" for its options.';

/** The agent's Entra sign-in, as its flags (or its flags and the control plane) give it. */
export interface EntraConfig {
  tenants: string[];
  issuers: string[];
  audiences: string[];
  userName: 'oid' | 'upn';
  graph: GraphConfig | undefined;
  /** A JSON file of role assignments, read again every 10 s. */
  roleAssignmentsFile: string | undefined;
}

/** How the agent or the relay reads the groups of tokens with group overage from Microsoft Graph. */
export interface GraphConfig {
  baseUrl: string;
  tokenUrl: string;
  scope: string;
  clientId: string;
  clientSecret: string;
}

/** The Graph flags as given: `tokenUrl` is left to the tenant when not given. */
export type GraphFlags = Omit<GraphConfig, 'tokenUrl'> & {tokenUrl: string | undefined};

/**
 * What the flags say of judging Entra tokens besides the accepted tokens themselves — how
 * users are named, and Graph — which apply whether the tokens come from flags or from the
 * control plane.
 */
export interface EntraOptions {
  userName: 'oid' | 'upn';
  graph: GraphFlags | undefined;
}

/**
 * The flags that say which Entra tokens the agent accepts, and its role assignments: with
 * `--cluster` the control plane says all of it, so they are refused there.
 */
export const CONTROL_PLANE_ENTRA_FLAGS = [
  'entra-tenant',
  'entra-audience',
  'entra-issuer',
  'role-assignments',
] as const;

/**
 * Reads and checks the Entra flags: none means every credential passes through to the
 * apiserver; `--entra-tenant` with `--entra-audience` (the cluster's server app) means Entra
 * tokens of those tenants are validated and impersonated, and `--graph-client-id` (secret in
 * `PORTHOLE_GRAPH_CLIENT_SECRET`) lets the agent read the groups of tokens with group overage.
 *
 * @throws CliUsageError naming the flag at fault (never a secret)
 */
export function entraConfig(values: EntraValues, context: CliContext): EntraConfig | undefined {
  const tenants = values['entra-tenant'] ?? [];
  const audiences = values['entra-audience'] ?? [];
  const issuers = values['entra-issuer'] ?? [];
  if (tenants.length === 0) {
    const stray = (
      [
        'entra-audience',
        'entra-issuer',
        'entra-user-name',
        'graph-client-id',
        'role-assignments',
      ] as const
    ).find((flag) => values[flag] !== undefined);
    if (stray) throw new CliUsageError(`--${stray} needs --entra-tenant`, HINT);
    return undefined;
  }
  return {
    ...acceptedEntraTokens(tenants, audiences, issuers, HINT),
    ...forTenants(entraOptions(values, context), tenants),
    roleAssignmentsFile: values['role-assignments'],
  };
}

/**
 * The Entra tokens to accept, from `--entra-tenant` (one at least), `--entra-audience` and
 * `--entra-issuer`: the issuers default to the tenants' v2 and v1 ones, and a client id as
 * audience also stands for its App ID URI (a v1 token's audience).
 *
 * @throws CliUsageError for a tenant that is not an id, or no audience
 */
export function acceptedEntraTokens(
  tenants: readonly string[],
  audiences: readonly string[],
  issuers: readonly string[],
  hint: string,
): {tenants: string[]; issuers: string[]; audiences: string[]} {
  const badTenant = tenants.find((tenant): boolean => !isObjectId(tenant));
  if (badTenant !== undefined) {
    throw new CliUsageError(
      `--entra-tenant must be a tenant id (got ${JSON.stringify(badTenant)})`,
      hint,
    );
  }
  if (audiences.length === 0) {
    throw new CliUsageError(
      "--entra-audience is required: the client id of the clusters' server app",
      hint,
    );
  }
  return {
    tenants: [...tenants],
    issuers:
      issuers.length > 0
        ? [...issuers]
        : tenants.flatMap((tenant) => [
            `https://login.microsoftonline.com/${tenant}/v2.0`,
            `https://sts.windows.net/${tenant}/`,
          ]),
    audiences: audiences.flatMap((audience) =>
      isObjectId(audience) ? [audience, `api://${audience}`] : [audience],
    ),
  };
}

/**
 * Reads and checks `--entra-user-name` and the Graph flags (secret in
 * `PORTHOLE_GRAPH_CLIENT_SECRET`), whichever way the accepted tokens are configured.
 *
 * @throws CliUsageError naming the flag at fault (never a secret)
 */
export function entraOptions(values: EntraValues, context: CliContext): EntraOptions {
  const userName = values['entra-user-name'] ?? 'oid';
  if (userName !== 'oid' && userName !== 'upn') {
    throw new CliUsageError(
      `--entra-user-name must be oid or upn (got ${JSON.stringify(userName)})`,
      HINT,
    );
  }
  return {userName, graph: graphFlags(values, context, HINT)};
}

/**
 * Reads the Graph flags: `--graph-client-id`, its secret in `PORTHOLE_GRAPH_CLIENT_SECRET` (or
 * `--graph-client-secret`), and Microsoft Graph's URL and scope unless given; none without
 * `--graph-client-id`.
 *
 * @param hint the command's own, for a usage error
 * @throws CliUsageError when the secret is missing (never quoting one)
 */
export function graphFlags(
  values: GraphValues,
  context: CliContext,
  hint: string,
): GraphFlags | undefined {
  const clientId = values['graph-client-id'];
  if (clientId === undefined) return undefined;
  const clientSecret = values['graph-client-secret'] ?? context.env.PORTHOLE_GRAPH_CLIENT_SECRET;
  if (!clientSecret) {
    throw new CliUsageError(
      '--graph-client-id needs its secret in PORTHOLE_GRAPH_CLIENT_SECRET (or --graph-client-secret)',
      hint,
    );
  }
  return {
    baseUrl: (values['graph-url'] ?? 'https://graph.microsoft.com').replace(/\/$/, ''),
    tokenUrl: values['graph-token-url'],
    // Graph's own audience, whatever URL serves it (a national cloud names its own).
    scope: values['graph-scope'] ?? 'https://graph.microsoft.com/.default',
    clientId,
    clientSecret,
  };
}

/** The Graph flags with the token URL defaulted to the tenant's. */
export function graphForTenant(graph: GraphFlags, tenant: string): GraphConfig {
  return {
    ...graph,
    tokenUrl: graph.tokenUrl ?? `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
  };
}

/**
 * A resolver of the groups of tokens with group overage, signing in to Graph with the
 * configured app's client credentials.
 *
 * @param options.fetch how Graph and its token endpoint are reached; default the global `fetch`
 */
export function graphGroupResolver(
  graph: GraphConfig,
  options: {fetch?: typeof fetch} = {},
): GraphGroupResolver {
  return new GraphGroupResolver({
    graphBaseUrl: graph.baseUrl,
    ...options,
    token: clientCredentialToken({
      ...options,
      tokenEndpoint: graph.tokenUrl,
      clientId: graph.clientId,
      clientSecret: graph.clientSecret,
      scope: graph.scope,
    }),
  });
}

/** The Entra settings the control plane gives agents. */
type ControlPlaneEntra = {tenants: string[]; issuers: string[]; audiences: string[]};

/**
 * The Entra sign-in of an agent run with `--cluster`: the tokens the control plane accepts
 * (its `entra` settings, as they are), judged with the flags' {@link EntraOptions}; `null`
 * settings mean no Entra sign-in, every credential passing through to the apiserver.
 *
 * @throws CliUsageError when Graph flags are given and the control plane has no Entra sign-in
 */
export function controlPlaneEntraConfig(
  entra: ControlPlaneEntra,
  options: EntraOptions,
): EntraConfig;
export function controlPlaneEntraConfig(
  entra: ControlPlaneEntra | null,
  options: EntraOptions,
): EntraConfig | undefined;
export function controlPlaneEntraConfig(
  entra: ControlPlaneEntra | null,
  options: EntraOptions,
): EntraConfig | undefined {
  if (entra === null) {
    if (options.graph !== undefined) {
      throw new CliUsageError(
        "--graph-client-id needs Entra sign-in, which this relay's control plane does not configure",
        HINT,
      );
    }
    return undefined;
  }
  return {
    tenants: entra.tenants,
    issuers: entra.issuers,
    audiences: entra.audiences,
    ...forTenants(options, entra.tenants),
    roleAssignmentsFile: undefined,
  };
}

/** The options with Graph's token URL defaulted to the first tenant's. */
function forTenants(
  options: EntraOptions,
  tenants: readonly string[],
): Pick<EntraConfig, 'userName' | 'graph'> {
  const {graph} = options;
  return {userName: options.userName, graph: graph && graphForTenant(graph, tenants[0] ?? '')};
}

/**
 * The agent's authentication stage for an Entra configuration: it impersonates callers with
 * the agent's own token, so the cluster credential must be a token. Role assignments come
 * from `--role-assignments`, or from `options.assignments` (the control plane's); either way
 * they are read again at most every 10 s.
 *
 * @throws CliUsageError when the agent's cluster credential is not a bearer token
 */
export async function entraStage(
  config: EntraConfig,
  cluster: KubeEndpoint,
  options: {assignments?: () => Promise<readonly RoleAssignment[]>} = {},
): Promise<Authenticator> {
  const agentCredential = cluster.credential;
  if (!agentCredential || !('token' in agentCredential)) {
    throw new CliUsageError(
      "Entra sign-in needs the agent's own bearer token for the apiserver, which impersonates callers",
      'Run the agent with its service account, or give it a kubeconfig whose user has a token.',
    );
  }
  const {egressFetch, entraAuthenticator} = await import('@porthole/agent-bridge');
  const {graph} = config;
  // Keys, Graph and its tokens are read through the proxy the environment names, if any.
  const fetch = egressFetch();
  return entraAuthenticator({
    validator: new EntraTokenValidator({...config, fetch}),
    identity: {userName: config.userName},
    ...(graph ? {groups: graphGroupResolver(graph, {fetch})} : {}),
    agentToken: agentCredential.token,
    ...(config.roleAssignmentsFile !== undefined
      ? {roleAssignments: {assignments: await roleAssignmentsFrom(config.roleAssignmentsFile)}}
      : options.assignments !== undefined
        ? {roleAssignments: {assignments: options.assignments}}
        : {}),
  });
}

/**
 * Role assignments from a JSON file: read once now — a file that cannot be used stops the
 * agent before it serves — and again on each use, at most every 10 s (the authenticator's
 * cache), so that edits apply without a restart. A later read that fails fails its requests.
 *
 * @throws CliInputError when the file cannot be read or holds no valid assignments
 */
async function roleAssignmentsFrom(path: string): Promise<() => Promise<RoleAssignment[]>> {
  const read = async () =>
    parseRoleAssignments(JSON.parse(await readFile(path, 'utf8')) as unknown);
  try {
    await read();
  } catch (err) {
    throw new CliInputError(`Cannot use --role-assignments ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return read;
}
