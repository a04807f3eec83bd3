import {describe, expect, it} from 'vitest';

import {createKubeconfig, serializeKubeconfig} from '../../src/index.js';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBAzCBqqADAgECAgEBMAo=\n-----END CERTIFICATE-----\n';
const KEY_PEM =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgE=\n-----END PRIVATE KEY-----\n';

describe('createKubeconfig', () => {
  it('builds a one-context kubeconfig with the PEM text base64-encoded', () => {
    const config = createKubeconfig({
      name: 'porthole-prod',
      server: 'https://127.0.0.1:47011/clusters/prod',
      certificateAuthorityPem: CA_PEM,
      credential: {token: 'abc.def.ghi'},
      namespace: 'team-a',
    });
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'porthole-prod',
          cluster: {
            server: 'https://127.0.0.1:47011/clusters/prod',
            'certificate-authority-data': btoa(CA_PEM),
          },
        },
      ],
      users: [{name: 'porthole-prod', user: {token: 'abc.def.ghi'}}],
      contexts: [
        {
          name: 'porthole-prod',
          context: {cluster: 'porthole-prod', user: 'porthole-prod', namespace: 'team-a'},
        },
      ],
      'current-context': 'porthole-prod',
      preferences: {},
    });
  });

  it('accepts a client certificate and key, and a CA bundle of several blocks', () => {
    const config = createKubeconfig({
      name: 'admin',
      server: 'https://127.0.0.1:6443',
      certificateAuthorityPem: CA_PEM + CA_PEM,
      credential: {clientCertificatePem: CA_PEM, clientKeyPem: KEY_PEM},
    });
    expect(config.users[0]?.user).toEqual({
      'client-certificate-data': btoa(CA_PEM),
      'client-key-data': btoa(KEY_PEM),
    });
    expect(config.contexts[0]?.context).toEqual({cluster: 'admin', user: 'admin'});
  });

  it.each([
    [{name: ''}, 'Invalid kubeconfig: "name" must be letters, digits and ._:@- (got "")'],
    [{name: 'a b'}, 'Invalid kubeconfig: "name" must be letters, digits and ._:@- (got "a b")'],
    [{server: 'not a url'}, 'Invalid kubeconfig: "server" is not a URL (got "not a url")'],
    [
      {server: 'http://127.0.0.1:8080'},
      'Invalid kubeconfig: "server" must be an https URL (got "http:")',
    ],
    [{certificateAuthorityPem: 'MIIB'}, 'Invalid kubeconfig: "certificateAuthorityPem" is not PEM'],
    [
      {certificateAuthorityPem: CA_PEM.replace('END CERTIFICATE', 'END PRIVATE KEY')},
      'Invalid kubeconfig: "certificateAuthorityPem" is not PEM',
    ],
    [
      {credential: {token: ''}},
      'Invalid kubeconfig: "token" must be non-empty and without whitespace',
    ],
    [
      {credential: {token: 'a\nb'}},
      'Invalid kubeconfig: "token" must be non-empty and without whitespace',
    ],
    [
      {credential: {clientCertificatePem: CA_PEM, clientKeyPem: 'secret-key-material'}},
      'Invalid kubeconfig: "clientKeyPem" is not PEM',
    ],
  ])('rejects %o with ERR_KUBECONFIG_INVALID', (override, message) => {
    const options = {
      name: 'c',
      server: 'https://127.0.0.1:6443',
      certificateAuthorityPem: CA_PEM,
      credential: {token: 't'},
      ...override,
    };
    expect(() => createKubeconfig(options)).toThrow(
      expect.objectContaining({code: 'ERR_KUBECONFIG_INVALID', name: 'KubeconfigError', message}),
    );
  });
});

describe('serializeKubeconfig', () => {
  it('writes JSON that parses back to the same document', () => {
    const config = createKubeconfig({
      name: 'c',
      server: 'https://127.0.0.1:6443',
      certificateAuthorityPem: CA_PEM,
      credential: {token: 't'},
    });
    const text = serializeKubeconfig(config);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(config);
  });
});
