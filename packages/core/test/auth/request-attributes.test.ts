import {describe, expect, it} from 'vitest';

import {requestAttributes} from '../../src/auth/index.js';

describe('requestAttributes', () => {
  it.each([
    ['GET', '/api/v1/pods', {verb: 'list', resource: 'pods', namespace: '', name: ''}],
    [
      'GET',
      '/api/v1/namespaces/a/pods?watch=true&resourceVersion=5',
      {verb: 'watch', resource: 'pods', namespace: 'a'},
    ],
    ['GET', '/api/v1/watch/namespaces/a/pods', {verb: 'watch', resource: 'pods', namespace: 'a'}],
    [
      'GET',
      '/api/v1/namespaces/a/pods/web',
      {verb: 'get', resource: 'pods', name: 'web', namespace: 'a'},
    ],
    [
      'GET',
      '/api/v1/namespaces/a/pods/web/log?follow=true',
      {verb: 'get', resource: 'pods', subresource: 'log', name: 'web'},
    ],
    [
      'POST',
      '/api/v1/namespaces/a/pods/web/exec?command=echo',
      {verb: 'create', resource: 'pods', subresource: 'exec'},
    ],
    [
      'GET',
      '/api/v1/namespaces/a/pods/web/exec?command=echo',
      {verb: 'get', resource: 'pods', subresource: 'exec'},
    ],
    ['POST', '/api/v1/namespaces/a/configmaps', {verb: 'create', resource: 'configmaps', name: ''}],
    ['PUT', '/api/v1/namespaces/a/configmaps/c', {verb: 'update', name: 'c'}],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/a/deployments/d/scale',
      {
        verb: 'patch',
        apiGroup: 'apps',
        apiVersion: 'v1',
        resource: 'deployments',
        subresource: 'scale',
      },
    ],
    ['DELETE', '/api/v1/namespaces/a/secrets/s', {verb: 'delete', resource: 'secrets', name: 's'}],
    ['DELETE', '/api/v1/namespaces/a/secrets', {verb: 'deletecollection', resource: 'secrets'}],
    ['GET', '/api/v1/namespaces', {verb: 'list', resource: 'namespaces', namespace: ''}],
    [
      'GET',
      '/api/v1/namespaces/a',
      {verb: 'get', resource: 'namespaces', name: 'a', namespace: 'a'},
    ],
    [
      'PUT',
      '/api/v1/namespaces/a/finalize',
      {verb: 'update', resource: 'namespaces', name: 'a', subresource: 'finalize'},
    ],
    [
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      {verb: 'list', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles'},
    ],
    [
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {verb: 'create', resource: 'selfsubjectaccessreviews'},
    ],
  ])('%s %s', (method, url, expected) => {
    expect(requestAttributes(method, url)).toMatchObject({resourceRequest: true, ...expected});
  });

  it.each([
    ['GET', '/version'],
    ['GET', '/apis'],
    ['GET', '/apis/apps'],
    ['GET', '/api'],
    ['GET', '/openapi/v3'],
    ['OPTIONS', '/api/v1/pods'],
  ])('%s %s is a non-resource request', (method, url) => {
    expect(requestAttributes(method, url)).toMatchObject({
      resourceRequest: false,
      verb: method.toLowerCase(),
      path: url,
    });
  });
});
