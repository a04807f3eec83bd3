import {PortholeError} from '@porthole/core';
import type {ControlPlaneError} from '@porthole/core/control-plane';

/**
 * Stable error codes raised by `@porthole/web`, listed in `docs/errors.md`. Codes are API:
 * changing one is a breaking change.
 */
export type WebErrorCode =
  // Settings: config.json and the elements' attributes.
  | 'ERR_WEB_CONFIG_UNAVAILABLE'
  | 'ERR_WEB_CONFIG_INVALID'
  // Sign-in (MSAL).
  | 'ERR_WEB_SIGN_IN_UNAVAILABLE'
  | 'ERR_WEB_SIGN_IN_REQUIRED'
  | 'ERR_WEB_SIGN_IN_FAILED'
  // The control plane and the tunnel to a cluster.
  | 'ERR_WEB_RELAY_UNREACHABLE'
  | 'ERR_WEB_RESPONSE_INVALID'
  | 'ERR_WEB_CLUSTER_UNREACHABLE'
  // The local bridge that serves the console ("Use from kubectl").
  | 'ERR_WEB_BRIDGE_UNREACHABLE'
  | 'ERR_WEB_BRIDGE_REFUSED';

/**
 * A failure of the console or a component that is not the control plane's or the cluster's
 * own answer. The message is short, names the value at fault and never quotes a token.
 *
 * @example
 *   throw new WebError('ERR_WEB_CONFIG_INVALID', 'Invalid settings: "relay" is not an http(s) URL');
 */
export class WebError extends PortholeError<WebErrorCode> {}

/**
 * Every error `@porthole/web` raises, discriminated by `code`: its own, and the control plane's
 * refusals (`ERR_CONTROL_*`, core's `ControlPlaneError`) as the relay sent them.
 */
export type AnyWebError = WebError | ControlPlaneError;
