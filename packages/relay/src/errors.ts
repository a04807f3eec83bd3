import {PortholeError} from '@porthole/core';

/** Stable error codes raised by `@porthole/relay`, listed in `docs/errors.md`. */
export type RelayErrorCode =
  | 'ERR_RELAY_LISTEN_FAILED'
  | 'ERR_RELAY_STORE'
  | 'ERR_RELAY_ENTITY_INVALID'
  // The control plane's store.
  | 'ERR_CONTROL_CLUSTER_EXISTS'
  | 'ERR_CONTROL_ASSIGNMENT_EXISTS'
  // The embedded development identity provider (src/identity).
  | 'ERR_IDENTITY_SEED_INVALID'
  | 'ERR_IDENTITY_KEY_INVALID'
  | 'ERR_IDENTITY_OPTIONS_INVALID'
  | 'ERR_IDENTITY_SIGN_IN_FAILED';

/** A failure to start or configure the relay. */
export class RelayError extends PortholeError<RelayErrorCode> {}
