import type {ControlPlaneOptions, DevDirectory} from '@porthole/relay';
import {isObjectId} from '@porthole/core/auth';

import {acceptedEntraTokens} from '../entra-flags.js';
import {CliUsageError} from '../errors.js';

const HINT = 'Run "porthole relay serve --help" for its options.';

/** The `parseArgs` options of the relay's control plane. */
export const CONTROL_PLANE_SERVE_OPTIONS = {
  'entra-tenant': {type: 'string', multiple: true},
  'entra-audience': {type: 'string', multiple: true},
  'entra-issuer': {type: 'string', multiple: true},
  'entra-client-id': {type: 'string'},
  'entra-console-client-id': {type: 'string'},
  'cors-origin': {type: 'string', multiple: true},
  admin: {type: 'string', multiple: true},
  'public-url': {type: 'string'},
  'offline-after': {type: 'string'},
  'heartbeat-interval': {type: 'string'},
  'sender-token-lifetime': {type: 'string'},
  'agent-credential-lifetime': {type: 'string'},
} as const;

interface ServeValues {
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
      }
    | undefined;
  administrators: string[];
  corsOrigins: string[];
  publicUrl: string | undefined;
  limits: NonNullable<ControlPlaneOptions['limits']>;
}

/**
 * Reads and checks the control plane's flags: `--entra-tenant` with `--entra-audience` (the
 * server app) sign callers in with Microsoft Entra ID; `--admin` names the object ids that
 * administer the relay; the lifetimes and intervals are seconds.
 *
 * @throws CliUsageError naming the flag at fault
 */
export function controlPlaneSettings(
  values: ServeValues,
  devIdentity: boolean,
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
  return {
    entra:
      tenants.length === 0
        ? undefined
        : {
            ...acceptedEntraTokens(tenants, audiences, values['entra-issuer'] ?? [], HINT),
            clientId: values['entra-client-id'],
            consoleClientId: values['entra-console-client-id'],
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
 * signing in against it, with its first user as administrator unless `--admin` names others.
 */
export function controlPlaneOptions(
  settings: ControlPlaneSettings,
  dev:
    {issuer: string; authority: string; directory: DevDirectory; fetch: typeof fetch} | undefined,
): ControlPlaneOptions {
  const base = {
    ...(settings.publicUrl === undefined ? {} : {publicUrl: settings.publicUrl}),
    corsOrigins: settings.corsOrigins,
    limits: settings.limits,
  };
  if (dev) {
    const {directory} = dev;
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
        issuers: [dev.issuer],
        audiences: [directory.api.clientId],
      },
      fetch: dev.fetch,
      administrators:
        settings.administrators.length > 0 ? settings.administrators : firstUser ? [firstUser] : [],
      ...(cli
        ? {
            signIn: {
              authority: dev.authority,
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
    entra,
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
