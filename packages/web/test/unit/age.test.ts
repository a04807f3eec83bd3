import {describe, expect, it} from 'vitest';

import {age, lastSeen} from '../../src/kube/age.js';
import {eventSummary} from '../../src/kube/event-summary.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

describe('age', () => {
  it.each([
    [5, '5s'],
    [119, '119s'],
    [120, '2m'],
    [119 * 60, '119m'],
    [2 * 3600, '2h'],
    [47 * 3600, '47h'],
    [48 * 3600, '2d'],
    [729 * 86400, '729d'],
    [3 * 365 * 86400, '3y'],
  ])('prints %i seconds as %s', (seconds, printed) => {
    expect(age(ago(seconds), NOW)).toBe(printed);
  });

  it('prints - when unknown, and 0s for a time ahead of the clock', () => {
    expect(age(undefined, NOW)).toBe('-');
    expect(age('not a time', NOW)).toBe('-');
    expect(age(ago(-30), NOW)).toBe('0s');
  });
});

describe('lastSeen', () => {
  it('says just now, then how long ago, and never when there was no heartbeat', () => {
    expect(lastSeen(ago(3), NOW)).toBe('just now');
    expect(lastSeen(ago(42), NOW)).toBe('42 seconds ago');
    expect(lastSeen(ago(5 * 60), NOW)).toBe('5 minutes ago');
    expect(lastSeen(ago(3 * 3600), NOW)).toBe('3 hours ago');
    expect(lastSeen(ago(3 * 86400), NOW)).toBe('3 days ago');
    expect(lastSeen(null, NOW)).toBe('never');
  });
});

describe('eventSummary', () => {
  it('takes the last time an event happened, its count and what it is about', () => {
    expect(
      eventSummary(
        {
          metadata: {uid: 'u1', name: 'web.1', namespace: 'shop'},
          type: 'Warning',
          reason: 'BackOff',
          message: 'Back-off restarting failed container',
          count: 7,
          lastTimestamp: ago(90),
          involvedObject: {kind: 'Pod', name: 'web-0'},
        },
        NOW,
      ),
    ).toEqual({
      key: 'u1',
      type: 'Warning',
      tone: 'warning',
      reason: 'BackOff',
      object: 'Pod/web-0',
      message: 'Back-off restarting failed container',
      count: 7,
      age: '90s',
      time: NOW - 90_000,
    });
  });

  it('falls back to eventTime (events.k8s.io) and a count of 1', () => {
    expect(
      eventSummary({metadata: {name: 'e'}, lastTimestamp: null, eventTime: ago(10)}, NOW),
    ).toMatchObject({type: 'Normal', tone: 'neutral', count: 1, age: '10s', object: '?/?'});
  });
});
