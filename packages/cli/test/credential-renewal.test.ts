import {PassThrough} from 'node:stream';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';

import {CredentialRenewal} from '../src/control-plane/credential-renewal.js';

describe('CredentialRenewal', () => {
  beforeEach(() => {
    vi.useFakeTimers({now: 1_000_000_000});
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const context = () => {
    const stderr = new PassThrough();
    let said = '';
    stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
    return {context: {cwd: '/', stdout: new PassThrough(), stderr, env: {}}, said: () => said};
  };

  it('renews when a third of the life is left (at most five minutes before expiry), again and again', async () => {
    const now = Date.now() / 1000;
    let issued = 0;
    const fetch = vi.fn(() => {
      issued++;
      return Promise.resolve({token: `token-${issued}`, expirationTime: Date.now() / 1000 + 3600});
    });
    const applied: string[] = [];
    const {context: ctx} = context();
    const renewal = new CredentialRenewal(now + 30, fetch).start((token) => {
      applied.push(token);
      return Promise.resolve();
    }, ctx);
    await vi.advanceTimersByTimeAsync(19_000);
    expect(applied).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(applied).toEqual(['token-1']);
    // An hour's token: renewed five minutes before it ends.
    await vi.advanceTimersByTimeAsync(3300_000 - 1_000);
    expect(applied).toEqual(['token-1']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(applied).toEqual(['token-1', 'token-2']);
    renewal.stop();
    await vi.advanceTimersByTimeAsync(7200_000);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('says why a renewal failed, and tries again every ten seconds', async () => {
    const failure = Object.assign(new Error('refused'), {code: 'ERR_CONTROL_FORBIDDEN'});
    const fetch = vi
      .fn<() => Promise<{token: string; expirationTime: number}>>()
      .mockRejectedValueOnce(failure)
      .mockResolvedValue({token: 'fresh', expirationTime: Date.now() / 1000 + 3600});
    const applied: string[] = [];
    const {context: ctx, said} = context();
    const renewal = new CredentialRenewal(Date.now() / 1000 + 3, fetch).start((token) => {
      applied.push(token);
      return Promise.resolve();
    }, ctx);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(said()).toBe(
      'proxy: cannot renew the relay credential yet (ERR_CONTROL_FORBIDDEN); retrying\n',
    );
    expect(applied).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(applied).toEqual(['fresh']);
    renewal.stop();
  });
});
