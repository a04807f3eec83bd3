import {describe, expect, it} from 'vitest';

import {ConfiguredAuthenticator} from '../../src/index.js';
import type {AuthDecision, Authenticator, EntraSettings} from '../../src/index.js';

const REQUEST = {method: 'GET', path: '/api', headers: {}};
const settings = (audience: string): NonNullable<EntraSettings> => ({
  tenants: ['tenant'],
  issuers: ['https://login.example/tenant/v2.0'],
  audiences: [audience],
});

/** A stage that says which settings built it. */
function stageFor(entra: NonNullable<EntraSettings>): Authenticator {
  return {
    authenticate: () =>
      Promise.resolve({kind: 'forward', set: {'x-built-for': entra.audiences.join(',')}}),
  };
}

async function builtFor(stage: Authenticator): Promise<string> {
  const decision: AuthDecision = await stage.authenticate(REQUEST);
  return decision.kind === 'forward' ? String(decision.set['x-built-for'] ?? 'pass-through') : '';
}

describe('ConfiguredAuthenticator', () => {
  it('judges by the settings of the latest configuration, and passes through without any', async () => {
    const logs: {event: string; fields: Record<string, unknown>}[] = [];
    const builds: string[] = [];
    const stage = await ConfiguredAuthenticator.create(
      null,
      (entra) => {
        builds.push(entra.audiences.join(','));
        return stageFor(entra);
      },
      (event, fields) => logs.push({event, fields}),
    );
    expect(await builtFor(stage)).toBe('pass-through');
    stage.configure(settings('api://one'));
    await stage.settled;
    expect(await builtFor(stage)).toBe('api://one');
    // The same settings again build nothing.
    stage.configure(settings('api://one'));
    await stage.settled;
    expect(builds).toEqual(['api://one']);
    stage.configure(settings('api://two'));
    stage.configure(null);
    await stage.settled;
    expect(await builtFor(stage)).toBe('pass-through');
    expect(logs.map(({fields}) => fields.accepting)).toEqual(['entra', 'entra', 'pass-through']);
  });

  it('keeps the previous stage when a new one cannot be built, and tries again on the next configuration', async () => {
    const logs: {event: string; fields: Record<string, unknown>}[] = [];
    let failing = true;
    const stage = await ConfiguredAuthenticator.create(
      settings('api://one'),
      (entra) => {
        if (failing && entra.audiences[0] === 'api://two')
          throw Object.assign(new Error('no keys'), {code: 'ERR_AUTH_DISCOVERY_FAILED'});
        return stageFor(entra);
      },
      (event, fields) => logs.push({event, fields}),
    );
    stage.configure(settings('api://two'));
    await stage.settled;
    expect(await builtFor(stage)).toBe('api://one');
    expect(logs).toEqual([
      {
        event: 'agent.sign-in-change-failed',
        fields: {
          code: 'ERR_AUTH_DISCOVERY_FAILED',
          error: 'no keys',
          hint: 'The agent keeps judging tokens by the previous settings.',
        },
      },
    ]);
    failing = false;
    stage.configure(settings('api://two'));
    await stage.settled;
    expect(await builtFor(stage)).toBe('api://two');
  });

  it('does not start when the first stage cannot be built', async () => {
    await expect(
      ConfiguredAuthenticator.create(
        settings('api://one'),
        () => Promise.reject(new Error('no keys')),
        () => undefined,
      ),
    ).rejects.toThrow('no keys');
  });
});
