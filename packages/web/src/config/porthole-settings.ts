import {WebError} from '../errors.js';

/** How users sign in: an Entra (or embedded-provider) authority and the console's public client. */
export interface SignInSettings {
  /** E.g. `https://login.microsoftonline.com/<tenant>` or `https://127.0.0.1:9351/<tenant>/v2.0`. */
  authority: string;
  /** The public client (application) id that signs users in. */
  clientId: string;
  /** The server app: access tokens are asked for its `api://<id>/.default`. */
  serverApp: string;
  tenantId?: string;
}

/**
 * What the console and the components need to reach a relay: its URL and how to sign in
 * (`null`: the relay has no sign-in configured). The relay serves this as `config.json`.
 */
export interface PortholeSettings {
  /** The relay's base URL, e.g. `https://relay.example`; its control plane is under `/api/v1`. */
  relay: string;
  authentication: SignInSettings | null;
}

/** Settings given piecewise, as elements' attributes; `config` names a `config.json` to start from. */
export interface SettingsSource {
  config?: string | undefined;
  relay?: string | undefined;
  authority?: string | undefined;
  clientId?: string | undefined;
  serverApp?: string | undefined;
}

const loaded = new Map<string, Promise<PortholeSettings>>();

/**
 * Reads and checks a `config.json` (`{relay, authentication}`), once per URL per page.
 *
 * @param url where it is, relative to the page
 * @throws WebError `ERR_WEB_CONFIG_UNAVAILABLE` when it cannot be fetched,
 *   `ERR_WEB_CONFIG_INVALID` when it is not the documented shape
 * @example
 *   const settings = await loadSettings('./config.json');
 */
export function loadSettings(url: string): Promise<PortholeSettings> {
  const absolute = new URL(url, document.baseURI).href;
  let settings = loaded.get(absolute);
  if (settings === undefined) {
    settings = fetchSettings(absolute);
    loaded.set(absolute, settings);
    // A failed load is tried again by the next element that asks.
    settings.catch(() => loaded.delete(absolute));
  }
  return settings;
}

async function fetchSettings(url: string): Promise<PortholeSettings> {
  let response: Response;
  try {
    response = await fetch(url, {credentials: 'same-origin', cache: 'no-store'});
  } catch (cause) {
    throw new WebError('ERR_WEB_CONFIG_UNAVAILABLE', `Cannot fetch the settings at ${url}`, {
      cause,
    });
  }
  if (!response.ok) {
    throw new WebError(
      'ERR_WEB_CONFIG_UNAVAILABLE',
      `Cannot fetch the settings at ${url}: ${response.status} ${response.statusText}`.trim(),
    );
  }
  let value: unknown;
  try {
    value = await response.json();
  } catch (cause) {
    throw new WebError('ERR_WEB_CONFIG_INVALID', `Invalid settings at ${url}: not JSON`, {cause});
  }
  return parseSettings(value, url);
}

/**
 * Checks a parsed `config.json`.
 *
 * @param value the parsed document
 * @param source where it came from, for the message
 * @throws WebError `ERR_WEB_CONFIG_INVALID` naming the field at fault
 */
export function parseSettings(value: unknown, source: string): PortholeSettings {
  const invalid = (what: string) =>
    new WebError('ERR_WEB_CONFIG_INVALID', `Invalid settings at ${source}: ${what}`);
  if (!isRecord(value)) throw invalid('not an object');
  const relay = httpUrl(value.relay);
  if (relay === undefined) throw invalid('"relay" is not an http(s) URL');
  const {authentication} = value;
  if (authentication === null || authentication === undefined) return {relay, authentication: null};
  if (!isRecord(authentication)) throw invalid('"authentication" is not an object or null');
  const field = (name: 'authority' | 'clientId' | 'serverApp') => {
    const text = authentication[name];
    if (typeof text !== 'string' || text === '')
      throw invalid(`"authentication.${name}" is not a non-empty string`);
    return text;
  };
  const authority = field('authority');
  if (httpUrl(authority) === undefined)
    throw invalid('"authentication.authority" is not an https URL');
  const tenantId = authentication.tenantId;
  return {
    relay,
    authentication: {
      authority,
      clientId: field('clientId'),
      serverApp: field('serverApp'),
      ...(typeof tenantId === 'string' ? {tenantId} : {}),
    },
  };
}

/**
 * Settings from an element's attributes: `config.json` when `config` names one, with any
 * attribute given overriding it; otherwise `relay` and, to sign in, all of `authority`,
 * `client-id` and `server-app`.
 *
 * @throws WebError `ERR_WEB_CONFIG_INVALID` for a missing `relay` or an incomplete sign-in
 */
export async function resolveSettings(source: SettingsSource): Promise<PortholeSettings> {
  const base: PortholeSettings | undefined =
    source.config === undefined || source.config === ''
      ? undefined
      : await loadSettings(source.config);
  const relay = source.relay ?? base?.relay;
  if (relay === undefined || httpUrl(relay) === undefined)
    throw new WebError(
      'ERR_WEB_CONFIG_INVALID',
      'Invalid settings: set "relay" to the relay\'s http(s) URL, or "config" to a config.json',
    );
  const given = {
    authority: source.authority ?? base?.authentication?.authority,
    clientId: source.clientId ?? base?.authentication?.clientId,
    serverApp: source.serverApp ?? base?.authentication?.serverApp,
  };
  const missing = Object.entries(given).filter(([, value]) => value === undefined || value === '');
  if (missing.length === 3) return {relay: httpUrl(relay) ?? relay, authentication: null};
  const [first] = missing;
  if (first !== undefined)
    throw new WebError(
      'ERR_WEB_CONFIG_INVALID',
      `Invalid settings: sign-in needs "${attributeName(first[0])}" too`,
    );
  return {
    relay: httpUrl(relay) ?? relay,
    authentication: {
      authority: given.authority ?? '',
      clientId: given.clientId ?? '',
      serverApp: given.serverApp ?? '',
      ...(base?.authentication?.tenantId === undefined
        ? {}
        : {tenantId: base.authentication.tenantId}),
    },
  };
}

/** An http(s) URL without its trailing slash, or `undefined`. */
function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
  return url.href.replace(/\/$/, '');
}

function attributeName(property: string): string {
  return property.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
