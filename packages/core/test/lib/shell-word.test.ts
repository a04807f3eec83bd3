import {describe, expect, it} from 'vitest';

import {shellWord} from '../../src/index.js';

describe('shellWord', () => {
  it('leaves words a shell reads back as they are', () => {
    for (const word of [
      'kubectl',
      '/home/ada/.porthole/bridge/kubeconfig',
      'porthole-prod',
      '~/x',
      'a=b,c:d@e%f+g',
    ])
      expect(shellWord(word)).toBe(word);
  });

  it('quotes the rest, quotes inside too', () => {
    expect(shellWord('/Users/Ada Lovelace/kubeconfig')).toBe(`'/Users/Ada Lovelace/kubeconfig'`);
    expect(shellWord("Ada's")).toBe(`'Ada'\\''s'`);
    expect(shellWord('$(rm -rf ~)')).toBe(`'$(rm -rf ~)'`);
    expect(shellWord('a;b')).toBe(`'a;b'`);
    expect(shellWord('')).toBe(`''`);
  });
});
