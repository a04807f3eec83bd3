import {describe, expect, it} from 'vitest';

import {parseRoute, routeHref} from '../../src/console/routes.js';
import type {Route} from '../../src/console/routes.js';

describe('parseRoute', () => {
  it('reads every page from the fragment', () => {
    expect(parseRoute('')).toEqual({page: 'clusters'});
    expect(parseRoute('#/')).toEqual({page: 'clusters'});
    expect(parseRoute('#/clusters/prod')).toEqual({
      page: 'cluster',
      cluster: 'prod',
      namespace: 'default',
      tab: 'pods',
    });
    expect(parseRoute('#/clusters/prod/namespaces/web/events')).toEqual({
      page: 'cluster',
      cluster: 'prod',
      namespace: 'web',
      tab: 'events',
    });
    expect(parseRoute('#/clusters/prod/namespaces/web/pods/web-0')).toEqual({
      page: 'pod',
      cluster: 'prod',
      namespace: 'web',
      pod: 'web-0',
      tab: 'logs',
    });
    expect(parseRoute('#/clusters/prod/role-assignments')).toEqual({
      page: 'role-assignments',
      cluster: 'prod',
    });
  });

  it('answers not-found for anything else, unknown tabs included', () => {
    expect(parseRoute('#/nope')).toEqual({page: 'not-found', path: '/nope'});
    expect(parseRoute('#/clusters/prod/namespaces/web/pods/web-0/shell')).toMatchObject({
      page: 'not-found',
    });
    expect(parseRoute('#/clusters/prod/namespaces/web/secrets')).toMatchObject({
      page: 'not-found',
    });
  });
});

describe('routeHref', () => {
  it('round-trips through parseRoute, names percent-encoded', () => {
    const routes: Route[] = [
      {page: 'clusters'},
      {page: 'cluster', cluster: 'edge.7', namespace: 'kube-system', tab: 'events'},
      {page: 'pod', cluster: 'prod', namespace: 'web', pod: 'web 0', tab: 'terminal'},
      {page: 'role-assignments', cluster: 'prod'},
    ];
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route);
    expect(
      routeHref({page: 'pod', cluster: 'prod', namespace: 'web', pod: 'web 0', tab: 'yaml'}),
    ).toBe('#/clusters/prod/namespaces/web/pods/web%200/yaml');
  });
});
