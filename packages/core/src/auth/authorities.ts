/** Microsoft Entra ID's own sign-in hosts: the public cloud, US Government and China. */
const ENTRA_HOSTS = /^login\.(microsoftonline\.(com|us)|chinacloudapi\.cn)$/;

/**
 * Whether an authority is Microsoft Entra ID itself, rather than another, Entra-shaped
 * provider (the relay's embedded one), which MSAL must be told is known.
 *
 * @example
 *   isEntraAuthority('https://login.microsoftonline.com/contoso.onmicrosoft.com'); // true
 */
export function isEntraAuthority(authority: string): boolean {
  return ENTRA_HOSTS.test(new URL(authority).hostname);
}

/** The scope of access tokens for the clusters' server app, as relays and agents expect them. */
export function serverScope(serverApp: string): string {
  return `api://${serverApp}/.default`;
}
