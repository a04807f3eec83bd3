import type {Configuration} from '@azure/msal-browser';
import {isEntraAuthority} from '@porthole/core/auth';

import type {SignInSettings} from '../config/porthole-settings.js';

/**
 * MSAL's configuration for the console's public client. Any authority other than Entra's is
 * named in `knownAuthorities`, so that MSAL reads its metadata from the authority itself
 * instead of asking Microsoft's instance discovery (which cannot vouch for it). Tokens stay in
 * session storage: they leave with the tab.
 *
 * @param settings the authority and the client
 * @param redirectUri the page that hands the answer back: MSAL v5's redirect bridge
 *   (`redirect.html`, which calls `broadcastResponseToMainFrame()`)
 */
export function msalConfiguration(settings: SignInSettings, redirectUri: string): Configuration {
  const {host} = new URL(settings.authority);
  return {
    auth: {
      clientId: settings.clientId,
      authority: settings.authority,
      redirectUri,
      ...(isEntraAuthority(settings.authority) ? {} : {knownAuthorities: [host]}),
    },
    cache: {cacheLocation: 'sessionStorage'},
  };
}
