import {describe, expect, it} from 'vitest';

import {isEntraAuthority, serverScope} from '@porthole/core/auth';

import {msalConfiguration} from '../../src/auth/msal-configuration.js';
import {parseSettings, resolveSettings} from '../../src/config/porthole-settings.js';

const AUTHENTICATION = {
  authority: 'https://127.0.0.1:9351/7c1d2e3f-0000-4000-8000-000000000001/v2.0',
  tenantId: '7c1d2e3f-0000-4000-8000-000000000001',
  serverApp: '7c1d2e3f-0000-4000-8000-000000000002',
  clientId: '7c1d2e3f-0000-4000-8000-000000000004',
};

describe('parseSettings', () => {
  it("reads the relay's config.json, without the relay URL's trailing slash", () => {
    expect(
      parseSettings({relay: 'http://127.0.0.1:9350/', authentication: AUTHENTICATION}, 'c.json'),
    ).toEqual({relay: 'http://127.0.0.1:9350', authentication: AUTHENTICATION});
    expect(parseSettings({relay: 'https://relay.example', authentication: null}, 'c.json')).toEqual(
      {relay: 'https://relay.example', authentication: null},
    );
  });

  it('refuses what is not the documented shape with ERR_WEB_CONFIG_INVALID naming the field', () => {
    expect(() => parseSettings([], 'c.json')).toThrow(
      expect.objectContaining({
        code: 'ERR_WEB_CONFIG_INVALID',
        message: 'Invalid settings at c.json: not an object',
      }),
    );
    expect(() => parseSettings({relay: 'ftp://x'}, 'c.json')).toThrow(
      expect.objectContaining({
        message: 'Invalid settings at c.json: "relay" is not an http(s) URL',
      }),
    );
    expect(() =>
      parseSettings(
        {relay: 'http://r', authentication: {...AUTHENTICATION, serverApp: ''}},
        'c.json',
      ),
    ).toThrow(
      expect.objectContaining({
        message: 'Invalid settings at c.json: "authentication.serverApp" is not a non-empty string',
      }),
    );
  });
});

describe('resolveSettings', () => {
  it('takes attributes alone, and no sign-in when none of its three are given', async () => {
    await expect(resolveSettings({relay: 'https://relay.example/'})).resolves.toEqual({
      relay: 'https://relay.example',
      authentication: null,
    });
    await expect(
      resolveSettings({
        relay: 'https://relay.example',
        authority: AUTHENTICATION.authority,
        clientId: AUTHENTICATION.clientId,
        serverApp: AUTHENTICATION.serverApp,
      }),
    ).resolves.toEqual({
      relay: 'https://relay.example',
      authentication: {
        authority: AUTHENTICATION.authority,
        clientId: AUTHENTICATION.clientId,
        serverApp: AUTHENTICATION.serverApp,
      },
    });
  });

  it('names the attribute a partial sign-in lacks, and a missing relay', async () => {
    await expect(
      resolveSettings({relay: 'https://relay.example', authority: AUTHENTICATION.authority}),
    ).rejects.toMatchObject({
      code: 'ERR_WEB_CONFIG_INVALID',
      message: 'Invalid settings: sign-in needs "client-id" too',
    });
    await expect(resolveSettings({})).rejects.toMatchObject({
      code: 'ERR_WEB_CONFIG_INVALID',
      message:
        'Invalid settings: set "relay" to the relay\'s http(s) URL, or "config" to a config.json',
    });
  });
});

describe('msalConfiguration', () => {
  it('names a non-Microsoft authority as known, so MSAL reads its metadata from it', () => {
    const configuration = msalConfiguration(
      AUTHENTICATION,
      'http://127.0.0.1:9350/console/redirect.html',
    );
    expect(configuration.auth).toEqual({
      clientId: AUTHENTICATION.clientId,
      authority: AUTHENTICATION.authority,
      redirectUri: 'http://127.0.0.1:9350/console/redirect.html',
      knownAuthorities: ['127.0.0.1:9351'],
    });
    expect(configuration.cache).toEqual({cacheLocation: 'sessionStorage'});
  });

  it("leaves Entra's own authorities to instance discovery", () => {
    const entra = {
      ...AUTHENTICATION,
      authority: 'https://login.microsoftonline.com/contoso.example',
    };
    expect(isEntraAuthority(entra.authority)).toBe(true);
    expect(
      msalConfiguration(entra, 'https://relay.example/console/redirect.html').auth,
    ).not.toHaveProperty('knownAuthorities');
    expect(serverScope(AUTHENTICATION.serverApp)).toBe(
      'api://7c1d2e3f-0000-4000-8000-000000000002/.default',
    );
  });
});
