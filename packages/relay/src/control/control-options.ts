import type {EntraIssuer, GraphGroupResolver} from '@porthole/core/auth';

/** How the control plane signs callers in and what it tells agents and clients. */
export interface ControlPlaneOptions {
  /**
   * The tokens users present: issuers, the server app as audience, tenants. Agents get the
   * same settings, so that kubectl's tokens are judged alike at both ends. `undefined`: no
   * sign-in is configured, and every user call answers 503 `ERR_CONTROL_UNAVAILABLE`.
   */
  entra:
    | {
        tenants: readonly string[];
        issuers: readonly (string | EntraIssuer)[];
        audiences: readonly string[];
      }
    | undefined;
  /** How the token validator reads discovery documents and keys (a development CA, say). */
  fetch?: typeof fetch;
  /**
   * Resolves the groups of tokens with group overage; without it, only their own object id
   * counts. When Graph cannot answer, such calls get 503 `ERR_CONTROL_UNAVAILABLE`.
   */
  groups?: GraphGroupResolver;
  /** Object ids of users, service principals or groups holding the relay Administrator role. */
  administrators: readonly string[];
  /**
   * What `GET /api/v1/metadata` tells a CLI about signing in (`clientId`: the CLI's public
   * client), and the console's `config.json` (`consoleClientId`), when sign-in is configured.
   */
  signIn?: {
    authority: string;
    tenantId: string;
    serverApp: string;
    clientId: string;
    consoleClientId?: string;
  };
  /**
   * Origins of pages on other sites (internal portals) that may call the API from a browser:
   * answered with CORS headers. The console itself is on the relay's own origin, and the
   * consoles local bridges serve (https on a loopback address, any port) are always answered.
   */
  corsOrigins?: readonly string[];
  /** The relay's URL as clients and agents reach it. Default: the scheme and `Host` of each request. */
  publicUrl?: string;
  limits?: Partial<ControlPlaneLimits>;
}

/** The control plane's timings and bounds, each with a safe default. */
export interface ControlPlaneLimits {
  /** A cluster whose agent has been silent this long is Offline (Arc: 15 min). */
  offlineAfterMs: number;
  /** How often agents are told to send a heartbeat. */
  heartbeatIntervalMs: number;
  /** Lifetime of the sender tokens `listClusterUserCredential` hands out. */
  senderTokenSeconds: number;
  /** Lifetime of an agent credential; the agent rotates it well before. */
  agentCredentialSeconds: number;
  /** How long the key an agent rotated away from keeps working, for tokens already minted. */
  rotatedKeyGraceMs: number;
  /** The largest request body accepted (413 beyond). */
  maxBodyBytes: number;
}

/** The defaults of {@link ControlPlaneLimits}. */
export const DEFAULT_CONTROL_PLANE_LIMITS: Readonly<ControlPlaneLimits> = {
  offlineAfterMs: 15 * 60_000,
  heartbeatIntervalMs: 30_000,
  senderTokenSeconds: 3600,
  agentCredentialSeconds: 90 * 24 * 3600,
  rotatedKeyGraceMs: 10 * 60_000,
  maxBodyBytes: 64 * 1024,
};
