import {describe, expect, it} from 'vitest';

import {formatSubtree, inSubtree, parseHost, subtreeOf} from '../../src/pki/host-names.js';
import type {HostName, HostSubtree} from '../../src/pki/host-names.js';
import {hex, toHex} from './helpers.js';

function describeHost(host: string): string {
  const parsed = parseHost(host);
  if (typeof parsed === 'string') return parsed;
  return parsed.type === 'dns' ? `dns ${parsed.name}` : `ip ${toHex(parsed.octets)}`;
}

describe('parseHost', () => {
  it.each([
    ['127.0.0.1', 'ip 7f000001'],
    ['10.96.0.1', 'ip 0a600001'],
    ['0.0.0.0', 'ip 00000000'],
    ['255.255.255.255', 'ip ffffffff'],
  ])('reads the IPv4 address %s', (host, expected) => {
    expect(describeHost(host)).toBe(expected);
  });

  // RFC 4291 §2.2: full form, `::` compression anywhere, an IPv4 tail, any case.
  it.each([
    ['::1', 'ip 00000000000000000000000000000001'],
    ['::', 'ip 00000000000000000000000000000000'],
    ['2001:db8::8a2e:370:7334', 'ip 20010db80000000000008a2e03707334'],
    ['2001:DB8:0:0:0:0:0:1', 'ip 20010db8000000000000000000000001'],
    ['fe80::', 'ip fe800000000000000000000000000000'],
    ['1:2:3:4:5:6:7::', 'ip 00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', 'ip 00000002000300040005000600070008'],
    ['::ffff:192.0.2.1', 'ip 00000000000000000000ffffc0000201'],
    ['64:ff9b::192.0.2.33', 'ip 0064ff9b0000000000000000c0000221'],
    ['1:2:3:4:5:6:1.2.3.4', 'ip 00010002000300040005000601020304'],
  ])('reads the IPv6 address %s', (host, expected) => {
    expect(describeHost(host)).toBe(expected);
  });

  it.each([
    ['localhost'],
    ['kubernetes.default.svc.cluster.local'],
    ['*.example.com'],
    ['xn--bcher-kva.example'],
    ['a-b.c'],
    ['1.example'],
    ['Example.COM'],
    [`${'a'.repeat(63)}.example`],
  ])('takes %s as a DNS name', (host) => {
    expect(describeHost(host)).toBe(`dns ${host}`);
  });

  it.each([
    ['1::2::3', 'is not a valid IPv6 address'],
    [':::', 'is not a valid IPv6 address'],
    [':1', 'is not a valid IPv6 address'],
    ['1:', 'is not a valid IPv6 address'],
    ['1:2:3:4:5:6:7', 'is not a valid IPv6 address'],
    ['1:2:3:4:5:6:7:8:9', 'is not a valid IPv6 address'],
    ['1:2:3:4:5:6:7:8::', 'is not a valid IPv6 address'],
    ['12345::', 'is not a valid IPv6 address'],
    ['g::1', 'is not a valid IPv6 address'],
    ['[::1]', 'is not a valid IPv6 address'],
    ['fe80::1%eth0', 'is not a valid IPv6 address'],
    ['::1.2.3', 'is not a valid IPv6 address'],
    ['1.2.3.4::', 'is not a valid IPv6 address'],
    ['::1.2.3.4:5', 'is not a valid IPv6 address'],
    ['localhost:6443', 'is not a valid IPv6 address'],
    ['256.0.0.1', 'is not a valid IPv4 address'],
    ['1.2.3', 'is not a valid IPv4 address'],
    ['01.2.3.4', 'is not a valid IPv4 address'],
    ['1.2.3.4.5', 'is not a valid IPv4 address'],
    ['example.123', 'is not a valid IPv4 address'],
    ['', 'is not a DNS name or an IP address'],
    ['bad_host', 'is not a DNS name or an IP address'],
    ['-a.example', 'is not a DNS name or an IP address'],
    ['a-.example', 'is not a DNS name or an IP address'],
    ['a..example', 'is not a DNS name or an IP address'],
    ['example.com.', 'is not a DNS name or an IP address'],
    ['*', 'is not a DNS name or an IP address'],
    ['a.*.example', 'is not a DNS name or an IP address'],
    ['bücher.example', 'is not a DNS name or an IP address'],
    ['a b.example', 'is not a DNS name or an IP address'],
    [`${'a'.repeat(64)}.example`, 'is not a DNS name or an IP address'],
    [`${'a.'.repeat(127)}ab`, 'is not a DNS name or an IP address'],
  ])('refuses %s: it %s', (host, reason) => {
    expect(describeHost(host)).toBe(reason);
  });
});

function host(text: string): HostName {
  const parsed = parseHost(text);
  if (typeof parsed === 'string') throw new Error(`${text} ${parsed}`);
  return parsed;
}

describe('inSubtree', () => {
  // RFC 5280 §4.2.1.10: a DNS name and any name with labels added on its left; case does not matter.
  it.each([
    ['localhost', 'localhost', true],
    ['a.localhost', 'localhost', true],
    ['LocalHost', 'localhost', true],
    ['x.y.bridge.porthole.internal', 'bridge.porthole.internal', true],
    ['*.bridge.porthole.internal', 'bridge.porthole.internal', true],
    ['evilbridge.porthole.internal', 'bridge.porthole.internal', false],
    ['porthole.internal', 'bridge.porthole.internal', false],
    ['*.porthole.internal', 'bridge.porthole.internal', false],
    ['localhost.example', 'localhost', false],
    ['127.0.0.1', 'localhost', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.2', '127.0.0.1', false],
    ['::1', '::1', true],
    ['::1', '127.0.0.1', false],
    ['::ffff:127.0.0.1', '127.0.0.1', false],
    ['localhost', '::1', false],
  ])('%s in the subtree of %s: %s', (name, base, expected) => {
    expect(inSubtree(host(name), subtreeOf(host(base)))).toBe(expected);
  });

  it('matches an address against a range under its mask', () => {
    const range: HostSubtree = {type: 'ip', octets: hex('0a000000'), mask: hex('ff000000')};
    expect(inSubtree(host('10.255.0.1'), range)).toBe(true);
    expect(inSubtree(host('11.0.0.1'), range)).toBe(false);
    expect(inSubtree(host('::a00:1'), range)).toBe(false);
  });
});

describe('formatSubtree', () => {
  // RFC 5952 §4: lowercase, no leading zeros, the longest run of two or more zero groups as ::.
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['localhost', 'localhost'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:8:800:200C:417A', '2001:db8::8:800:200c:417a'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('writes %s as %s', (text, expected) => {
    expect(formatSubtree(subtreeOf(host(text)))).toBe(expected);
  });

  it('writes a range as address/mask', () => {
    expect(formatSubtree({type: 'ip', octets: hex('0a000000'), mask: hex('ff000000')})).toBe(
      '10.0.0.0/255.0.0.0',
    );
    expect(
      formatSubtree({
        type: 'ip',
        octets: hex('20010db8' + '00'.repeat(12)),
        mask: hex('ff'.repeat(4) + '00'.repeat(12)),
      }),
    ).toBe('2001:db8::/ffff:ffff::');
  });
});
