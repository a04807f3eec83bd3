/** What a shared access rule lets its holder do (hybrid-connections.md §1.1). */
export const AccessRight = {LISTEN: 'Listen', SEND: 'Send', MANAGE: 'Manage'} as const;
export type AccessRight = (typeof AccessRight)[keyof typeof AccessRight];

/** A hybrid connection: the meeting point named by `/$hc/{name}`. */
export interface HybridConnection {
  /** One or more segments, e.g. `hyco` or `clusters/prod`. */
  name: string;
  /** Whether senders need a Send token; listeners always need a Listen token. */
  requiresClientAuthorization: boolean;
  createdAt: string;
}

/** A shared access rule: a name, two keys (for rotation) and its rights. */
export interface AuthorizationRule {
  /** The hybrid connection it belongs to, or `undefined` for the whole namespace. */
  entity: string | undefined;
  name: string;
  primaryKey: string;
  secondaryKey: string | undefined;
  rights: AccessRight[];
}

/**
 * Where the relay keeps its entities and rules. Implementations: SQLite (embedded default);
 * PostgreSQL arrives with the control plane.
 */
export interface EntityStore {
  getHybridConnection(name: string): HybridConnection | undefined;
  listHybridConnections(): HybridConnection[];
  /** Creates the hybrid connection, or returns the existing one unchanged. */
  ensureHybridConnection(
    name: string,
    options?: {requiresClientAuthorization?: boolean},
  ): HybridConnection;
  deleteHybridConnection(name: string): boolean;
  /** Creates or replaces the rule with this name at this scope. */
  putAuthorizationRule(rule: AuthorizationRule): void;
  /** The rules a token named `keyName` may be signed with for `entity`: the entity's and the namespace's. */
  findAuthorizationRules(keyName: string, entity: string): AuthorizationRule[];
  close(): void;
}

const NAME_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$/;

/**
 * Whether `name` can name a hybrid connection: 1–16 segments of letters, digits, `.`, `_`
 * and `-`, separated by `/`, at most 260 characters (Azure Relay's entity path limit).
 */
export function isValidEntityName(name: string): boolean {
  const segments = name.split('/');
  return (
    name.length <= 260 &&
    segments.length <= 16 &&
    segments.every((segment) => NAME_SEGMENT.test(segment))
  );
}
