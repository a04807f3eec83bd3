import {describe, expect, it} from 'vitest';

import {ProxySelection} from '../../src/index.js';
import type {EgressEnvironment} from '../../src/index.js';

const proxyFor = (env: EgressEnvironment, target: string) =>
  ProxySelection.fromEnv(env).proxyFor(target);

describe('ProxySelection', () => {
  describe('#proxyFor', () => {
    it('takes HTTPS_PROXY for wss and https targets, HTTP_PROXY for ws and http', () => {
      const env = {HTTPS_PROXY: 'http://secure.proxy:3128', HTTP_PROXY: 'http://plain.proxy:8080'};
      for (const target of ['wss://relay.example/$hc/x', 'https://relay.example/api'])
        expect(proxyFor(env, target)).toMatchObject({
          address: 'http://secure.proxy:3128',
          variable: 'HTTPS_PROXY',
        });
      for (const target of ['ws://relay.example:8080/$hc/x', 'http://relay.example/api'])
        expect(proxyFor(env, target)).toMatchObject({
          address: 'http://plain.proxy:8080',
          variable: 'HTTP_PROXY',
        });
    });

    it('has no fallback between the two, and goes direct when neither is set', () => {
      expect(proxyFor({HTTP_PROXY: 'http://p:1'}, 'wss://relay.example')).toBeUndefined();
      expect(proxyFor({HTTPS_PROXY: 'http://p:1'}, 'ws://relay.example')).toBeUndefined();
      expect(proxyFor({}, 'wss://relay.example')).toBeUndefined();
    });

    it('prefers the upper-case variable, takes the lower-case one, and treats empty as unset', () => {
      expect(
        proxyFor({HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2'}, 'wss://r.example'),
      ).toMatchObject({host: 'upper', variable: 'HTTPS_PROXY'});
      expect(proxyFor({https_proxy: 'http://lower:2'}, 'wss://r.example')).toMatchObject({
        host: 'lower',
        variable: 'https_proxy',
      });
      expect(
        proxyFor({HTTPS_PROXY: ' ', https_proxy: 'http://lower:2'}, 'wss://r.example'),
      ).toMatchObject({host: 'lower'});
    });

    it('ignores HTTP_PROXY under CGI (httpoxy), but not http_proxy', () => {
      expect(
        proxyFor({HTTP_PROXY: 'http://evil:1', REQUEST_METHOD: 'GET'}, 'http://r.example'),
      ).toBeUndefined();
      expect(
        proxyFor({http_proxy: 'http://ok:1', REQUEST_METHOD: 'GET'}, 'http://r.example'),
      ).toMatchObject({host: 'ok'});
    });

    it('reads a proxy without a scheme as http://, with the default ports 80 and 443', () => {
      expect(proxyFor({HTTPS_PROXY: 'proxy.corp:3128'}, 'wss://r.example')).toEqual({
        protocol: 'http:',
        host: 'proxy.corp',
        port: 3128,
        address: 'http://proxy.corp:3128',
        variable: 'HTTPS_PROXY',
        authorization: undefined,
      });
      expect(proxyFor({HTTPS_PROXY: 'http://proxy.corp'}, 'wss://r.example')).toMatchObject({
        port: 80,
      });
      expect(proxyFor({HTTPS_PROXY: 'https://proxy.corp/'}, 'wss://r.example')).toMatchObject({
        protocol: 'https:',
        port: 443,
        address: 'https://proxy.corp:443',
      });
      expect(proxyFor({HTTPS_PROXY: 'http://[fd00::1]:3128'}, 'wss://r.example')).toMatchObject({
        host: 'fd00::1',
        address: 'http://[fd00::1]:3128',
      });
    });

    it('turns percent-encoded credentials into Proxy-Authorization, and keeps them out of the address', () => {
      const proxy = proxyFor(
        {HTTPS_PROXY: 'http://d%C3%A9v%40corp:p%40ss%3Aw%2Frd@proxy.corp:3128'},
        'wss://r.example',
      );
      expect(proxy?.address).toBe('http://proxy.corp:3128');
      expect(proxy?.authorization).toBe(
        `Basic ${Buffer.from('dév@corp:p@ss:w/rd').toString('base64')}`,
      );
      expect(
        proxyFor({HTTPS_PROXY: 'http://user@proxy.corp:3128'}, 'wss://r.example')?.authorization,
      ).toBe(`Basic ${Buffer.from('user:').toString('base64')}`);
    });

    it.each([
      ['http://proxy.corp:99999', 'HTTPS_PROXY is not a URL'],
      [
        'socks5://proxy.corp:1080',
        'HTTPS_PROXY names a socks5 proxy; Porthole speaks to HTTP(S) proxies',
      ],
      [
        'http://user:%zz-secret@proxy.corp:3128',
        'HTTPS_PROXY has a user name or password that is not valid percent-encoding',
      ],
    ])('refuses %s with ERR_TUNNEL_PROXY_INVALID, never quoting it', (value, message) => {
      expect.assertions(3);
      try {
        proxyFor({HTTPS_PROXY: value}, 'wss://r.example');
      } catch (err) {
        expect(err).toMatchObject({code: 'ERR_TUNNEL_PROXY_INVALID', message, proxy: undefined});
        expect((err as Error).message).not.toContain('proxy.corp');
        expect(JSON.stringify(err) + (err as {hint: string}).hint).not.toContain('secret');
      }
    });

    it('sends hosts NO_PROXY lists direct, with the target port defaulted by scheme', () => {
      const env = {HTTPS_PROXY: 'http://p:1', NO_PROXY: 'corp.example,relay.example:443'};
      expect(proxyFor(env, 'wss://git.corp.example')).toBeUndefined();
      expect(proxyFor(env, 'wss://relay.example')).toBeUndefined();
      expect(proxyFor(env, 'wss://relay.example:8443')).toBeDefined();
      expect(proxyFor({...env, NO_PROXY: undefined, no_proxy: '*'}, 'wss://x.example')).toBe(
        undefined,
      );
    });

    it('sends loopback targets direct, whatever NO_PROXY says', () => {
      const env = {HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1', NO_PROXY: 'other.example'};
      for (const target of [
        'wss://localhost:8443',
        'ws://127.0.0.1:8080',
        'wss://[::1]:8443',
        'https://relay.localhost',
      ])
        expect(proxyFor(env, target)).toBeUndefined();
    });

    it('proxies loopback targets too under PORTHOLE_PROXY_LOOPBACK=1, NO_PROXY still applying', () => {
      const env = {HTTP_PROXY: 'http://p:1', PORTHOLE_PROXY_LOOPBACK: '1'};
      expect(proxyFor(env, 'ws://127.0.0.1:8080')).toMatchObject({address: 'http://p:1'});
      expect(proxyFor({...env, PORTHOLE_PROXY_LOOPBACK: 'true'}, 'ws://localhost:1')).toBeDefined();
      expect(proxyFor({...env, NO_PROXY: '127.0.0.1'}, 'ws://127.0.0.1:8080')).toBeUndefined();
      expect(proxyFor({...env, PORTHOLE_PROXY_LOOPBACK: '0'}, 'ws://127.0.0.1:8080')).toBe(
        undefined,
      );
    });
  });
});
