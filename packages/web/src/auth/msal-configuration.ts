import type {Configuration} from '@azure/msal-browser';

import type {SignInSettings} from '../config/porthole-settings.js';

/** Entra's own sign-in hosts (public cloud, US Government, China). */
const ENTRA_HOSTS = /^login\.(microsoftonline\.(com|us)|chinacloudapi\.cn)$/;

/**
 * Whether an authority is Microsoft Entra ID itself, rather than another Entra-shaped provider
 * (the relay's embedded one) that MSAL must be told is known.
 */
export function isEntraAuthority(authority: string): boolean {
  return ENTRA_HOSTS.test(new URL(authority).hostname);
}

/** The scope of access tokens for the server app, as the relay and agents expect them. */
export function serverScope(serverApp: string): string {
  return `api://${serverApp}/.default`;
}

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
