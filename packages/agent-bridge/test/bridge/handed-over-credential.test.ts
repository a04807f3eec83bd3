import {describe, expect, it} from 'vitest';

import {HandedOverCredential} from '../../src/bridge/handed-over-credential.js';

describe('HandedOverCredential', () => {
  let now = 1_000_000;
  const credential = new HandedOverCredential(
    {accessToken: 'user-token', accessExpiresAtMs: now + 60_000, senderExpiresAtMs: now + 20_000},
    () => now,
  );

  it('swaps its local token for the access token, and leaves other credentials alone', () => {
    expect(credential.localToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credential.exchange(`Bearer ${credential.localToken}`)).toEqual({
      kind: 'forward',
      authorization: 'Bearer user-token',
    });
    for (const other of [undefined, 'Bearer someone-else', `Bearer ${credential.localToken}x`])
      expect(credential.exchange(other)).toEqual({kind: 'untouched'});
  });

  it('refuses once the earlier token ran out, saying until when it held, and takes renewals', () => {
    expect(credential.expiresAtMs).toBe(now + 20_000);
    now += 20_000;
    const refused = credential.exchange(`Bearer ${credential.localToken}`);
    expect(refused).toMatchObject({kind: 'refuse'});
    expect(refused.kind === 'refuse' && refused.message).toContain(
      `until ${new Date(now).toISOString()}`,
    );
    credential.update({
      accessToken: 'renewed',
      accessExpiresAtMs: now + 60_000,
      senderExpiresAtMs: now + 60_000,
    });
    expect(credential.exchange(`Bearer ${credential.localToken}`)).toEqual({
      kind: 'forward',
      authorization: 'Bearer renewed',
    });
  });
});
