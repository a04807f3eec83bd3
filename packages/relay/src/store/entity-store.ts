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

/**
 * A shared access rule: a name, two keys (for rotation) and its rights. A key may expire: the
 * agent's per-cluster credential rotates by making the new key primary and keeping the old one
 * as secondary until its own expiry, so that a token signed with either works meanwhile.
 */
export interface AuthorizationRule {
  /** The hybrid connection it belongs to, or `undefined` for the whole namespace. */
  entity: string | undefined;
  name: string;
  primaryKey: string;
  /** When the primary key stops signing valid tokens (ISO 8601); `undefined`: never. */
  primaryKeyExpiresAt?: string | undefined;
  secondaryKey: string | undefined;
  /** When the secondary key stops signing valid tokens (ISO 8601); `undefined`: never. */
  secondaryKeyExpiresAt?: string | undefined;
  rights: AccessRight[];
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
