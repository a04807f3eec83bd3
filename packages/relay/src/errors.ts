import {PortholeError} from '@porthole/core';

/** Stable error codes raised by `@porthole/relay`, listed in `docs/errors.md`. */
export type RelayErrorCode =
  'ERR_RELAY_LISTEN_FAILED' | 'ERR_RELAY_STORE' | 'ERR_RELAY_ENTITY_INVALID';

/** A failure to start or configure the relay. */
export class RelayError extends PortholeError<RelayErrorCode> {}
