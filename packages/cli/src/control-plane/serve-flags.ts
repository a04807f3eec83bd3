import type {ControlPlaneOptions, DevIdentityProvider} from '@porthole/relay';
import {isObjectId} from '@porthole/core/auth';

import type {CliContext} from '../command.js';
import {
  acceptedEntraTokens,
  GRAPH_OPTIONS,
  graphFlags,
  graphForTenant,
  graphGroupResolver,
} from '../entra-flags.js';
import type {GraphConfig, GraphValues} from '../entra-flags.js';
import {CliUsageError} from '../errors.js';

const HINT = 'Run "porthole relay serve --help" for its options.';

/**
 * The service principal of the embedded provider's directory that the relay reads Graph as,
 * for the groups of tokens with group overage (`GroupMember.Read.All`).
 */
export const DEV_RELAY_PRINCIPAL = 'porthole-relay';

/** What the control plane needs of the embedded identity provider. */
type DevProvider = Pick<
  DevIdentityProvider,
  'issuer' | 'authority' | 'directory' | 'tokenEndpoint' | 'graphBaseUrl' | 'graphAudience'
>;

/** The `parseArgs` options of the relay's control plane. */
export const CONTROL_PLANE_SERVE_OPTIONS = {
  'entra-tenant': {type: 'string', multiple: true},
  'entra-audience': {type: 'string', multiple: true},
  'entra-issuer': {type: 'string', multiple: true},
  'entra-client-id': {type: 'string'},
  'entra-console-client-id': {type: 'string'},
  ...GRAPH_OPTIONS,
  'cors-origin': {type: 'string', multiple: true},
  admin: {type: 'string', multiple: true},
  'public-url': {type: 'string'},
  'offline-after': {type: 'string'},
  'heartbeat-interval': {type: 'string'},
  'sender-token-lifetime': {type: 'string'},
  'agent-credential-lifetime': {type: 'string'},
} as const;

interface ServeValues extends GraphValues {
  'entra-tenant'?: string[] | undefined;
  'entra-audience'?: string[] | undefined;
  'entra-issuer'?: string[] | undefined;
  'entra-client-id'?: string | undefined;
  'entra-console-client-id'?: string | undefined;
  'cors-origin'?: string[] | undefined;
  admin?: string[] | undefined;
  'public-url'?: string | undefined;
  'offline-after'?: string | undefined;
  'heartbeat-interval'?: string | undefined;
  'sender-token-lifetime'?: string | undefined;
  'agent-credential-lifetime'?: string | undefined;
}

/** The control plane's settings from the flags, before the identity provider is known. */
export interface ControlPlaneSettings {
  entra:
    | {
        tenants: string[];
        issuers: string[];
        audiences: string[];
        clientId: string | undefined;
        consoleClientId: string | undefined;
        /** How the groups of tokens with group overage are read from Microsoft Graph. */
        graph: GraphConfig | undefined;
      }
    | undefined;
  administrators: string[];
  corsOrigins: string[];
  publicUrl: string | undefined;
  limits: NonNullable<ControlPlaneOptions['limits']>;
}

/**
 * Reads and checks the control plane's flags: `--entra-tenant` with `--entra-audience` (the
 * server app) sign callers in with Microsoft Entra ID, and `--graph-client-id` (secret in
 * `PORTHOLE_GRAPH_CLIENT_SECRET`) lets the relay read the groups of tokens with group overage,
 * as the agent's same flags do; `--admin` names the object ids that administer the relay; the
 * lifetimes and intervals are seconds.
 *
 * @throws CliUsageError naming the flag at fault (never a secret)
 */
export function controlPlaneSettings(
  values: ServeValues,
  devIdentity: boolean,
  context: CliContext,
): ControlPlaneSettings {
  const tenants = values['entra-tenant'] ?? [];
  const audiences = values['entra-audience'] ?? [];
  const entraFlags = (
    [
      'entra-tenant',
      'entra-audience',
      'entra-issuer',
      'entra-client-id',
      'entra-console-client-id',
    ] as const
  ).filter((flag) => values[flag] !== undefined);
  if (devIdentity && entraFlags.length > 0) {
    throw new CliUsageError(
      `--${entraFlags[0] ?? ''} and --dev-identity exclude each other: the embedded provider signs everyone in`,
      HINT,
    );
  }
  if (tenants.length === 0 && entraFlags.length > 0) {
    throw new CliUsageError(`--${entraFlags[0] ?? ''} needs --entra-tenant`, HINT);
  }
  const graphFlag = (Object.keys(GRAPH_OPTIONS) as (keyof GraphValues)[]).find(
    (flag) => values[flag] !== undefined,
  );
  if (graphFlag !== undefined && devIdentity) {
    throw new CliUsageError(
      `--${graphFlag} and --dev-identity exclude each other: the relay reads the embedded provider's Graph as its service principal ${DEV_RELAY_PRINCIPAL}`,
      HINT,
    );
  }
  if (graphFlag !== undefined && tenants.length === 0) {
    throw new CliUsageError(`--${graphFlag} needs --entra-tenant`, HINT);
  }
  const badAdmin = (values.admin ?? []).find((id): boolean => !isObjectId(id));
  if (badAdmin !== undefined) {
    throw new CliUsageError(
      `--admin takes object ids (GUIDs) (got ${JSON.stringify(badAdmin)})`,
      HINT,
    );
  }
  const publicUrl = values['public-url'];
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+\/?$/.test(publicUrl)) {
    throw new CliUsageError(
      `--public-url must be http(s)://host[:port] (got ${JSON.stringify(publicUrl)})`,
      HINT,
    );
  }
  const graph = graphFlags(values, context, HINT);
  return {
    entra:
      tenants.length === 0
        ? undefined
        : {
            ...acceptedEntraTokens(tenants, audiences, values['entra-issuer'] ?? [], HINT),
            clientId: values['entra-client-id'],
            consoleClientId: values['entra-console-client-id'],
            graph: graph && graphForTenant(graph, tenants[0] ?? ''),
          },
    administrators: values.admin ?? [],
    corsOrigins: origins(values['cors-origin'] ?? []),
    publicUrl,
    limits: {
      ...seconds(values, 'offline-after', 'offlineAfterMs', 1000),
      ...seconds(values, 'heartbeat-interval', 'heartbeatIntervalMs', 1000),
      ...seconds(values, 'sender-token-lifetime', 'senderTokenSeconds', 1),
      ...seconds(values, 'agent-credential-lifetime', 'agentCredentialSeconds', 1),
    },
  };
}

/**
 * The control plane's options: from the settings, or — with the embedded identity provider —
 * signing in against it, with its first user as administrator unless `--admin` names others,
 * and reading its Graph as {@link DEV_RELAY_PRINCIPAL} when the directory has it. `dev.fetch`
 * reaches the provider (its discovery, keys, token endpoint and Graph).
 */
export function controlPlaneOptions(
  settings: ControlPlaneSettings,
  dev: {provider: DevProvider; fetch: typeof fetch} | undefined,
): ControlPlaneOptions {
  const base = {
    ...(settings.publicUrl === undefined ? {} : {publicUrl: settings.publicUrl}),
    corsOrigins: settings.corsOrigins,
    limits: settings.limits,
  };
  if (dev) {
    const {provider} = dev;
    const {directory} = provider;
    const graphReader = directory.servicePrincipals?.find(
      (principal) => principal.name === DEV_RELAY_PRINCIPAL,
    );
    const cli =
      directory.publicClients?.find((client) => client.name === 'porthole-cli') ??
      directory.publicClients?.[0];
    const consoleClient = directory.publicClients?.find(
      (client) => client.name === 'porthole-console',
    );
    const firstUser = directory.users?.[0]?.objectId;
    return {
      ...base,
      entra: {
        tenants: [directory.tenantId],
        issuers: [provider.issuer],
        audiences: [directory.api.clientId],
      },
      fetch: dev.fetch,
      ...(graphReader
        ? {
            groups: graphGroupResolver(
              {
                baseUrl: provider.graphBaseUrl,
                tokenUrl: provider.tokenEndpoint,
                scope: `${provider.graphAudience}/.default`,
                clientId: graphReader.clientId,
                clientSecret: graphReader.secret,
              },
              {fetch: dev.fetch},
            ),
          }
        : {}),
      administrators:
        settings.administrators.length > 0 ? settings.administrators : firstUser ? [firstUser] : [],
      ...(cli
        ? {
            signIn: {
              authority: provider.authority,
              tenantId: directory.tenantId,
              serverApp: directory.api.clientId,
              clientId: cli.clientId,
              ...(consoleClient ? {consoleClientId: consoleClient.clientId} : {}),
            },
          }
        : {}),
    };
  }
  const entra = settings.entra;
  const tenant = entra?.tenants[0];
  return {
    ...base,
    entra: entra && {tenants: entra.tenants, issuers: entra.issuers, audiences: entra.audiences},
    ...(entra?.graph ? {groups: graphGroupResolver(entra.graph)} : {}),
    administrators: settings.administrators,
    ...(entra?.clientId && tenant
      ? {
          signIn: {
            authority: `https://login.microsoftonline.com/${tenant}`,
            tenantId: tenant,
            serverApp: entra.audiences[0] ?? '',
            clientId: entra.clientId,
            ...(entra.consoleClientId === undefined
              ? {}
              : {consoleClientId: entra.consoleClientId}),
          },
        }
      : {}),
  };
}

/** `--cors-origin` values: origins only (`https://portal.example[:port]`), no path. */
function origins(values: readonly string[]): string[] {
  return values.map((value) => {
    const url = URL.parse(value);
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
      throw new CliUsageError(
        `--cors-origin must be an origin such as https://portal.example (got ${JSON.stringify(value)})`,
        HINT,
      );
    }
    return url.origin;
  });
}

function seconds<Key extends string>(
  values: ServeValues,
  flag:
    'offline-after' | 'heartbeat-interval' | 'sender-token-lifetime' | 'agent-credential-lifetime',
  key: Key,
  scale: number,
): Partial<Record<Key, number>> {
  const value = values[flag];
  if (value === undefined) return {};
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new CliUsageError(
      `--${flag} must be a whole number of seconds (got ${JSON.stringify(value)})`,
      HINT,
    );
  }
  return {[key]: number * scale} as Partial<Record<Key, number>>;
}
