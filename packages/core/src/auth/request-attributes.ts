/**
 * What a Kubernetes API request asks for, read from its method and URL the way the apiserver
 * reads it (`k8s.io/apiserver` request info): the verb RBAC checks and the object it is about.
 */
export interface KubeRequestAttributes {
  /** `false` for non-resource URLs such as `/version` or `/healthz`. */
  resourceRequest: boolean;
  /** RBAC's verb: get, list, watch, create, update, patch, delete, deletecollection, or the method in lower case for non-resource URLs. */
  verb: string;
  /** `''` for the core group. */
  apiGroup: string;
  apiVersion: string;
  /** `''` for cluster-scoped requests. */
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The URL path, for non-resource requests. */
  path: string;
}

/** Subresources of a namespace itself, not resources within it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  GET: 'get',
  HEAD: 'get',
  DELETE: 'delete',
};

/**
 * Reads a request as the apiserver does: `/api/v1/…` (core group) and `/apis/<group>/<version>/…`,
 * namespaced or not, with a name and a subresource; the verb from the method, `list` and
 * `deletecollection` without a name, `watch` with `?watch=true` (or the legacy `/watch/`
 * segment). Anything else is a non-resource request.
 *
 * @param url the request target: a path with its query, e.g. `/api/v1/namespaces/a/pods?watch=1`
 */
export function requestAttributes(method: string, url: string): KubeRequestAttributes {
  const parsed = new URL(url, 'http://apiserver.invalid');
  const path = parsed.pathname;
  const upper = method.toUpperCase();
  const nonResource: KubeRequestAttributes = {
    resourceRequest: false,
    verb: upper.toLowerCase(),
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    path,
  };
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => decodeURIComponent(part));
  let rest: string[];
  let apiGroup = '';
  let apiVersion: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiVersion = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1] ?? '';
    apiVersion = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return nonResource;
  }
  const base = METHOD_VERBS[upper];
  if (base === undefined) return nonResource;
  let verb = base;
  // The legacy watch and proxy prefixes: /api/v1/watch/namespaces/a/pods.
  if (rest[0] === 'watch' || rest[0] === 'proxy') {
    verb = rest[0];
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1] ?? '';
    // /namespaces/{name} and its own subresources are the namespace object itself.
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2] ?? '')) rest = rest.slice(2);
  }
  const [resource = '', name = '', ...subresources] = rest;
  const subresource = subresources.join('/');
  if (name === '' && verb === 'get')
    verb = ['true', '1'].includes(parsed.searchParams.get('watch') ?? '') ? 'watch' : 'list';
  else if (name === '' && verb === 'delete') verb = 'deletecollection';
  return {
    resourceRequest: true,
    verb,
    apiGroup,
    apiVersion,
    namespace,
    resource,
    subresource,
    name,
    path,
  };
}
