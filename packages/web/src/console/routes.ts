import {unreachable} from '../lib/unreachable.js';

/**
 * The console's pages, addressed in the URL's fragment (`#/clusters/prod/pods`) so that the
 * same files work wherever they are served — `/console/` on the relay, `/` on the bridge —
 * with relative asset paths and no server-side routes.
 */
export type Route =
  | {page: 'clusters'}
  | {page: 'cluster'; cluster: string; namespace: string; tab: ClusterTab}
  | {
      page: 'pod';
      cluster: string;
      namespace: string;
      pod: string;
      tab: PodTab;
    }
  | {page: 'role-assignments'; cluster: string}
  | {page: 'not-found'; path: string};

/** The cluster page's tabs. */
export const CLUSTER_TABS = ['pods', 'events'] as const;
export type ClusterTab = (typeof CLUSTER_TABS)[number];

/** The pod page's tabs. */
export const POD_TABS = ['logs', 'terminal', 'yaml'] as const;
export type PodTab = (typeof POD_TABS)[number];

const DEFAULT_NAMESPACE = 'default';

/**
 * The route a fragment names. `#/`, `#` and no fragment are the clusters page.
 *
 * @example
 *   parseRoute('#/clusters/prod/namespaces/web/pods/web-0/terminal');
 *   // {page: 'pod', cluster: 'prod', namespace: 'web', pod: 'web-0', tab: 'terminal'}
 */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map(safeDecode);
  if (parts.length === 0) return {page: 'clusters'};
  const [first, cluster, third, namespace, fifth, pod, tab] = parts;
  if (first !== 'clusters' || cluster === undefined) return {page: 'not-found', path};
  if (parts.length === 2)
    return {page: 'cluster', cluster, namespace: DEFAULT_NAMESPACE, tab: 'pods'};
  if (third === 'role-assignments' && parts.length === 3)
    return {page: 'role-assignments', cluster};
  if (third !== 'namespaces' || namespace === undefined) return {page: 'not-found', path};
  if (parts.length === 4) return {page: 'cluster', cluster, namespace, tab: 'pods'};
  if (parts.length === 5 && isClusterTab(fifth))
    return {page: 'cluster', cluster, namespace, tab: fifth};
  if (fifth === 'pods' && pod !== undefined && parts.length <= 7) {
    if (tab === undefined) return {page: 'pod', cluster, namespace, pod, tab: 'logs'};
    if (isPodTab(tab)) return {page: 'pod', cluster, namespace, pod, tab};
  }
  return {page: 'not-found', path};
}

/**
 * The fragment of a route, each name percent-encoded.
 *
 * @example
 *   routeHref({page: 'cluster', cluster: 'prod', namespace: 'web', tab: 'events'});
 *   // '#/clusters/prod/namespaces/web/events'
 */
export function routeHref(route: Route): string {
  const e = encodeURIComponent;
  switch (route.page) {
    case 'clusters':
      return '#/';
    case 'cluster':
      return `#/clusters/${e(route.cluster)}/namespaces/${e(route.namespace)}/${route.tab}`;
    case 'pod':
      return `#/clusters/${e(route.cluster)}/namespaces/${e(route.namespace)}/pods/${e(route.pod)}/${route.tab}`;
    case 'role-assignments':
      return `#/clusters/${e(route.cluster)}/role-assignments`;
    case 'not-found':
      return `#${route.path}`;
    default:
      return unreachable(route);
  }
}

function isClusterTab(value: string | undefined): value is ClusterTab {
  return (CLUSTER_TABS as readonly (string | undefined)[]).includes(value);
}

function isPodTab(value: string | undefined): value is PodTab {
  return (POD_TABS as readonly (string | undefined)[]).includes(value);
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
