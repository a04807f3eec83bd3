import {describe, expect, it} from 'vitest';

import {ChangedArgs} from '../../src/controllers/changed-args.js';

describe('ChangedArgs', () => {
  it('reports a change only when the arguments differ, and again after forget()', () => {
    const client = {};
    const args = new ChangedArgs();
    expect(args.changed(undefined)).toBe(false);
    expect(args.changed([client, 'pods', 'web'])).toBe(true);
    expect(args.changed([client, 'pods', 'web'])).toBe(false);
    expect(args.changed([{}, 'pods', 'web'])).toBe(true);
    expect(args.changed([{}, 'pods'])).toBe(true);
    expect(args.changed(undefined)).toBe(true);
    expect(args.changed(undefined)).toBe(false);
    args.changed([client, NaN]);
    expect(args.changed([client, NaN])).toBe(false);
    args.forget();
    expect(args.changed([client, NaN])).toBe(true);
  });
});
