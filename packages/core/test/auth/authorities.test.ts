import {describe, expect, it} from 'vitest';

import {isEntraAuthority, serverScope} from '../../src/auth/index.js';

describe('isEntraAuthority', () => {
  it("tells Entra's own clouds from other, Entra-shaped providers", () => {
    for (const authority of [
      'https://login.microsoftonline.com/contoso.onmicrosoft.com',
      'https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
      'https://login.chinacloudapi.cn/common',
    ]) {
      expect(isEntraAuthority(authority), authority).toBe(true);
    }
    for (const authority of [
      'https://127.0.0.1:9351/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
      'https://login.microsoftonline.com.example/tenant',
      'https://evil.login.microsoftonline.com/tenant',
    ]) {
      expect(isEntraAuthority(authority), authority).toBe(false);
    }
  });
});

describe('serverScope', () => {
  it("asks for the server app's default scope", () => {
    expect(serverScope('6256c85f-0aad-4d50-b960-e6e9b21efe35')).toBe(
      'api://6256c85f-0aad-4d50-b960-e6e9b21efe35/.default',
    );
  });
});
