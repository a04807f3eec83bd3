import {ControlPlaneClient as CoreControlPlaneClient} from '@porthole/core/control-plane';
import type {
  ControlPlaneClientOptions as CoreControlPlaneClientOptions,
  ControlPlaneErrors,
} from '@porthole/core/control-plane';

import {WebError} from '../errors.js';

/** What a {@link ControlPlaneClient} needs: core's options, less the errors (the console's). */
export type ControlPlaneClientOptions = Omit<CoreControlPlaneClientOptions, 'errors'>;

/** The console's codes for no answer, and for an answer that is not the control plane's. */
const WEB_ERRORS: ControlPlaneErrors = {
  unreachable: (message, cause) => new WebError('ERR_WEB_RELAY_UNREACHABLE', message, {cause}),
  invalid: (message) => new WebError('ERR_WEB_RESPONSE_INVALID', message),
};

/**
 * The browser's client of the relay's control plane: core's `ControlPlaneClient`, which
 * raises `ControlPlaneError` for a refusal, and here WebError `ERR_WEB_RELAY_UNREACHABLE`
 * when no answer comes and `ERR_WEB_RESPONSE_INVALID` for an answer that is not the control
 * plane's.
 *
 * @example
 *   const api = new ControlPlaneClient({relay: 'https://relay.example', token: () => session.accessToken()});
 *   const clusters = await api.listClusters();
 */
export class ControlPlaneClient extends CoreControlPlaneClient {
  /** @param options the relay and how to get a token */
  constructor(options: ControlPlaneClientOptions) {
    super({...options, errors: WEB_ERRORS});
  }
}
