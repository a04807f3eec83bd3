import {describe, expect, it} from 'vitest';

import {rotationDue} from '../../src/index.js';

const DAY = 24 * 3600_000;
const HEARTBEAT = 30_000;

describe('rotationDue', () => {
  const issued = {issuedAt: 0, expiresAt: 90 * DAY};

  it('waits while more than a third of the lifetime is left', () => {
    expect(rotationDue(issued, 0, HEARTBEAT)).toBe(false);
    expect(rotationDue(issued, 60 * DAY - 1, HEARTBEAT)).toBe(false);
  });

  it('rotates once less than a third is left', () => {
    expect(rotationDue(issued, 60 * DAY + 1, HEARTBEAT)).toBe(true);
    expect(rotationDue(issued, 89 * DAY, HEARTBEAT)).toBe(true);
  });

  it('after a restart, counts the lifetime from when it first saw the expiry', () => {
    // 10 days were left at start: rotate with 3⅓ days left, not at once and not at the end.
    const seen = {issuedAt: 80 * DAY, expiresAt: 90 * DAY};
    expect(rotationDue(seen, 86 * DAY, HEARTBEAT)).toBe(false);
    expect(rotationDue(seen, 87 * DAY, HEARTBEAT)).toBe(true);
  });

  it('rotates a short-lived key while two heartbeats are still left', () => {
    const short = {issuedAt: 0, expiresAt: 6000};
    expect(rotationDue(short, 3000, 1000)).toBe(false);
    expect(rotationDue(short, 4001, 1000)).toBe(true);
    // A key first seen with less than two heartbeats left is rotated at once.
    expect(rotationDue({issuedAt: 0, expiresAt: 50_000}, 0, HEARTBEAT)).toBe(true);
  });
});
