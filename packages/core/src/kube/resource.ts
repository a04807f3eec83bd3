import {KubeError} from '../errors.js';

/** A kind of resource, as its REST path names it. */
export interface ResourceRef {
  /** `v1` for the core group, else `<group>/<version>`: `apps/v1`, `kwok.x-k8s.io/v1alpha1`. */
  apiVersion: string;
  /** The plural resource name: `pods`, `deployments`. */
  resource: string;
  /** For a namespaced resource; leave it out to address all namespaces (or a cluster-scoped resource). */
  namespace?: string;
}

/** A query parameter: repeated for an array, left out when `undefined`. */
export type QueryValue = string | number | boolean | readonly string[] | undefined;

const SEGMENT = /^[^/]+$/;

/**
 * The REST path of a resource collection, an object or its subresource.
 *
 * @throws KubeError `ERR_KUBE_REQUEST_INVALID` for an empty segment, a `/` in a name, `.` or `..`
 * @example
 *   resourcePath({apiVersion: 'apps/v1', resource: 'deployments', namespace: 'web'}, 'front');
 *   // '/apis/apps/v1/namespaces/web/deployments/front'
 *   resourcePath({apiVersion: 'v1', resource: 'pods', namespace: 'web'}, 'front', 'log');
 *   // '/api/v1/namespaces/web/pods/front/log'
 */
export function resourcePath(ref: ResourceRef, name?: string, subresource?: string): string {
  const parts = [ref.apiVersion.includes('/') ? 'apis' : 'api', ...ref.apiVersion.split('/')];
  if (ref.namespace !== undefined) parts.push('namespaces', ref.namespace);
  parts.push(ref.resource);
  if (name !== undefined) parts.push(name);
  if (subresource !== undefined) parts.push(subresource);
  for (const part of parts) {
    if (!SEGMENT.test(part) || part === '.' || part === '..')
      throw new KubeError(
        'ERR_KUBE_REQUEST_INVALID',
        `Invalid request: path segment "${part.slice(0, 64)}" is empty, ".", ".." or has a "/"`,
      );
  }
  return `/${parts.map((part) => encodeURIComponent(part)).join('/')}`;
}

/**
 * A path with its query: each defined parameter percent-encoded, arrays repeated
 * (`command=ls&command=-l`), as the apiserver reads them.
 *
 * @example
 *   withQuery('/api/v1/pods', {labelSelector: 'app=web', limit: 10}); // '/api/v1/pods?labelSelector=app%3Dweb&limit=10'
 */
export function withQuery(path: string, query: Record<string, QueryValue> = {}): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values: readonly (string | number | boolean)[] =
      typeof value === 'object' ? value : [value];
    for (const each of values)
      pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(each))}`);
  }
  if (pairs.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${pairs.join('&')}`;
}
