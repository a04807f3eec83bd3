import {describe, expect, it} from 'vitest';

import {isLoopbackHost, NoProxy} from '../../src/index.js';

describe('NoProxy', () => {
  it.each([
    ['*', 'anything.example', 443, true],
    ['corp.example', 'corp.example', 443, true],
    ['corp.example', 'git.corp.example', 443, true],
    ['corp.example', 'a.b.corp.example', 8080, true],
    ['corp.example', 'notcorp.example', 443, false],
    ['corp.example', 'corp.example.org', 443, false],
    ['.corp.example', 'corp.example', 443, true],
    ['.corp.example', 'git.corp.example', 443, true],
    ['*.corp.example', 'git.corp.example', 443, true],
    ['CORP.Example', 'Git.corp.EXAMPLE', 443, true],
    ['corp.example.', 'git.corp.example.', 443, true],
    ['registry:5000', 'registry', 5000, true],
    ['registry:5000', 'registry', 443, false],
    ['10.0.0.7', '10.0.0.7', 443, true],
    ['10.0.0.7', '10.0.0.70', 443, false],
    ['10.0.0.7:443', '10.0.0.7', 443, true],
    ['10.0.0.7:443', '10.0.0.7', 80, false],
    ['::1', '[::1]', 443, true],
    ['0:0:0:0:0:0:0:1', '[::1]', 443, true],
    ['[::1]:8080', '[::1]', 8080, true],
    ['[::1]:8080', '[::1]', 443, false],
    ['10.0.0.0/8', '10.200.3.4', 443, true],
    ['10.0.0.0/8', '11.0.0.1', 443, false],
    ['fd00::/8', '[fd12::1]', 443, true],
    ['10.0.0.0/8', 'ten.example', 443, false],
    ['127.0.0.1', 'localhost', 443, false],
    ['localhost', '127.0.0.1', 443, false],
    ['example', 'example.com', 443, false],
  ])('%j for %s:%i → %s', (list, host, port, direct) => {
    expect(NoProxy.parse(list).matches(host, port)).toBe(direct);
  });

  it('takes a comma-separated list with spaces and empty entries', () => {
    const list = NoProxy.parse(' a.example , ,10.1.0.0/16,  b.example:8443 ');
    expect(list.matches('x.a.example', 443)).toBe(true);
    expect(list.matches('10.1.9.9', 443)).toBe(true);
    expect(list.matches('b.example', 8443)).toBe(true);
    expect(list.matches('b.example', 443)).toBe(false);
  });

  it('ignores entries it cannot parse, and a star that is not alone in its entry', () => {
    const list = NoProxy.parse(
      '10.0.0.0/99,host:notaport,host:70000,a.*.example,[::1,good.example',
    );
    expect(list.matches('10.1.1.1', 443)).toBe(false);
    expect(list.matches('host', 443)).toBe(false);
    expect(list.matches('a.b.example', 443)).toBe(false);
    expect(list.matches('good.example', 443)).toBe(true);
  });

  it('is empty for an unset or blank variable', () => {
    expect(NoProxy.parse(undefined).empty).toBe(true);
    expect(NoProxy.parse(' , ').empty).toBe(true);
    expect(NoProxy.parse('*').empty).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST.', true],
    ['relay.localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['localhost.example', false],
    ['[::2]', false],
    ['relay.example', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
