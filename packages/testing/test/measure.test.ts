import {describe, expect, it} from 'vitest';

import {formatTable, rssMiB, spread} from '../src/index.js';

describe('spread', () => {
  it('takes nearest-rank percentiles, whatever the order of the samples', () => {
    const samples = Array.from({length: 100}, (_, i) => 100 - i);
    expect(spread(samples)).toEqual({median: 50, p95: 95, p99: 99});
  });

  it('is the one value of a single sample, and zeros for none', () => {
    expect(spread([7])).toEqual({median: 7, p95: 7, p99: 7});
    expect(spread([])).toEqual({median: 0, p95: 0, p99: 0});
  });
});

describe('rssMiB', () => {
  it('reads a live process’s resident memory', async () => {
    const mib = await rssMiB(process.pid);
    expect(mib).toBeGreaterThan(10);
    expect(mib).toBeCloseTo(process.memoryUsage.rss() / 1024 / 1024, -1);
  });

  it('fails for a process that does not exist', async () => {
    await expect(rssMiB(2 ** 30)).rejects.toThrow(/ENOENT/);
  });
});

describe('formatTable', () => {
  it('pads every column to its widest cell', () => {
    expect(
      formatTable([
        ['', 'direct', 'mux'],
        ['median', '1.0 ms', '12.25 ms'],
      ]),
    ).toBe('         direct   mux\nmedian   1.0 ms   12.25 ms');
  });
});
