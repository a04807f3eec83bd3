import {randomBytes, randomUUID} from 'node:crypto';
import type {IncomingMessage, ServerResponse} from 'node:http';

import type {RoleAssignment} from '@porthole/core/auth';
import type {ConsoleSettings} from '@porthole/core/control-plane';
import {createSasToken} from '@porthole/core/protocol';

import type {SasAuthorizer} from '../auth/sas-authorizer.js';
import {RelayError} from '../errors.js';
import {hasContentType, readBody, sendJson} from '../identity/http-io.js';
import type {RelayLogger} from '../options.js';
import type {AuthorizationRule} from '../store/entity-store.js';
import type {ClusterRecord, RelayStore} from '../store/relay-store.js';
import {authenticateAgent, UserAuthenticator} from './callers.js';
import type {UserCaller} from './callers.js';
import {AGENT_RULE, clusterView, roleAssignmentView, SENDER_RULE} from './cluster-view.js';
import {ClusterAccess} from './cluster-access.js';
import {ControlError, toControlError} from './control-error.js';
import {proxyKubeconfig} from './proxy-kubeconfig.js';
import {DEFAULT_CONTROL_PLANE_LIMITS} from './control-options.js';
import type {ControlPlaneLimits, ControlPlaneOptions} from './control-options.js';
import {OPENAPI_DOCUMENT} from './openapi.js';
import {
  parseCredentialRequest,
  parseHeartbeat,
  parseNewCluster,
  parseNewRoleAssignment,
} from './request-bodies.js';

/** What the control plane needs of the relay it runs in. */
export interface ControlPlaneHost {
  store: RelayStore;
  authorizer: SasAuthorizer;
  now: () => number;
  log: RelayLogger;
  /** Whether the relay speaks TLS, for URLs derived from a request's `Host`. */
  secure: () => boolean;
  /** Closes every listener of a hybrid connection (its agent): deleted or credential revoked. */
  disconnectListeners: (hybridConnection: string, reason: string) => void;
}

interface Route {
  method: string;
  pattern: RegExp;
  handle: (call: Call, name: string, id: string) => Promise<void> | void;
}

interface Call {
  request: IncomingMessage;
  response: ServerResponse;
  correlationId: string;
  /** Set once a user is signed in, for the request log. */
  principal?: string;
}

const CORRELATION_HEADER = 'x-ms-correlation-request-id';
const CLUSTER = '([A-Za-z0-9][A-Za-z0-9._-]{0,62})';

/**
 * The relay's control plane (`/api/v1`, `/urls/allowlist`): clusters, their credentials and
 * role assignments for signed-in users, and configuration, heartbeats and credential rotation
 * for agents. Relay administrators manage clusters and assignments; any role on a cluster —
 * Cluster User or higher — lets a caller see it and get its credentials.
 */
export class ControlPlane {
  readonly #host: ControlPlaneHost;
  readonly #options: ControlPlaneOptions;
  readonly #limits: ControlPlaneLimits;
  readonly #users: UserAuthenticator;
  readonly #routes: Route[];
  readonly #access: ClusterAccess;

  constructor(options: ControlPlaneOptions, host: ControlPlaneHost) {
    this.#host = host;
    this.#options = options;
    this.#limits = {...DEFAULT_CONTROL_PLANE_LIMITS, ...options.limits};
    this.#users = new UserAuthenticator(options, host.now);
    this.#access = new ClusterAccess(host.store);
    const route = (method: string, path: string, handle: Route['handle']): Route => ({
      method,
      pattern: new RegExp(`^${path}$`),
      handle,
    });
    this.#routes = [
      route('GET', '/api/v1/openapi\\.json', (call) => this.#send(call, 200, OPENAPI_DOCUMENT)),
      route('GET', '/api/v1/metadata', (call) => this.#metadata(call)),
      route('GET', '/urls/allowlist', (call) => this.#allowlist(call)),
      route('GET', '/api/v1/clusters', (call) => this.#listClusters(call)),
      route('POST', '/api/v1/clusters', (call) => this.#createCluster(call)),
      route('GET', `/api/v1/clusters/${CLUSTER}`, (call, name) => this.#getCluster(call, name)),
      route('DELETE', `/api/v1/clusters/${CLUSTER}`, (call, name) =>
        this.#deleteCluster(call, name),
      ),
      route('POST', `/api/v1/clusters/${CLUSTER}/listClusterUserCredential`, (call, name) =>
        this.#listClusterUserCredential(call, name),
      ),
      route('POST', `/api/v1/clusters/${CLUSTER}/agentCredential/regenerate`, (call, name) =>
        this.#regenerateAgentCredential(call, name),
      ),
      route('GET', `/api/v1/clusters/${CLUSTER}/roleAssignments`, (call, name) =>
        this.#listRoleAssignments(call, name),
      ),
      route('POST', `/api/v1/clusters/${CLUSTER}/roleAssignments`, (call, name) =>
        this.#createRoleAssignment(call, name),
      ),
      route('DELETE', `/api/v1/clusters/${CLUSTER}/roleAssignments/([^/]+)`, (call, name, id) =>
        this.#deleteRoleAssignment(call, name, id),
      ),
      route('GET', `/api/v1/clusters/${CLUSTER}/agent/configuration`, (call, name) =>
        this.#agentConfiguration(call, name),
      ),
      route('POST', `/api/v1/clusters/${CLUSTER}/agent/heartbeat`, (call, name) =>
        this.#heartbeat(call, name),
      ),
      route('GET', `/api/v1/clusters/${CLUSTER}/agent/roleAssignments`, (call, name) =>
        this.#agentRoleAssignments(call, name),
      ),
      route('POST', `/api/v1/clusters/${CLUSTER}/agent/rotateCredential`, (call, name) =>
        this.#rotateAgentCredential(call, name),
      ),
    ];
  }

  /** Whether a path is the control plane's: `/api/…` and `/urls/…` never reach a hybrid connection. */
  static owns(path: string): boolean {
    return path === '/api' || path.startsWith('/api/') || path.startsWith('/urls/');
  }

  /** Answers a request whose path it {@link owns}. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = this.#host.now();
    const offered = request.headers[CORRELATION_HEADER];
    const call: Call = {
      request,
      response,
      correlationId:
        typeof offered === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(offered)
          ? offered
          : randomUUID(),
    };
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const origin = request.headers.origin;
    if (
      origin !== undefined &&
      (this.#options.corsOrigins?.includes(origin) || isBridgeConsoleOrigin(origin))
    ) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('access-control-expose-headers', CORRELATION_HEADER);
      response.setHeader('vary', 'Origin');
      if (request.method === 'OPTIONS') {
        response
          .writeHead(204, {
            'access-control-allow-methods': 'GET, POST, DELETE',
            'access-control-allow-headers': `authorization, content-type, ${CORRELATION_HEADER}`,
            'access-control-max-age': '600',
          })
          .end();
        return;
      }
    }
    try {
      const matches = this.#routes
        .map((route) => ({route, params: route.pattern.exec(path)}))
        .filter((match) => match.params !== null);
      if (matches.length === 0) {
        throw new ControlError(
          'ERR_CONTROL_NOT_FOUND',
          `Nothing at ${path}`,
          'See /api/v1/openapi.json for the API.',
        );
      }
      const match = matches.find(({route}) => route.method === request.method);
      if (!match?.params) {
        response.setHeader('allow', matches.map(({route}) => route.method).join(', '));
        throw new ControlError(
          'ERR_CONTROL_METHOD_NOT_ALLOWED',
          `${request.method ?? ''} is not allowed on ${path}`,
        );
      }
      // Cluster names and assignment ids are plain ASCII: nothing to decode.
      const [, name = '', id = ''] = match.params;
      await match.route.handle(call, name, id);
    } catch (err) {
      const error = toControlError(err);
      if (error.status === 503 || !(err instanceof ControlError || err instanceof RelayError))
        this.#host.log('control.error', {
          correlationId: call.correlationId,
          error: (err as Error).message,
        });
      if (!response.headersSent) {
        this.#send(call, error.status, {
          error: {
            code: error.code,
            message: error.message,
            ...(error.hint === undefined ? {} : {hint: error.hint}),
            correlationId: call.correlationId,
          },
        });
      }
    } finally {
      this.#host.log('control.request', {
        correlationId: call.correlationId,
        method: request.method,
        path,
        status: response.statusCode,
        ...(call.principal === undefined ? {} : {principal: call.principal}),
        ms: this.#host.now() - started,
      });
    }
  }

  #metadata(call: Call): void {
    const signIn = this.#options.signIn;
    this.#send(call, 200, {
      relay: this.#relayUrl(call.request),
      apiVersion: 'v1',
      authentication: signIn
        ? {
            authority: signIn.authority,
            tenantId: signIn.tenantId,
            serverApp: signIn.serverApp,
            clientId: signIn.clientId,
          }
        : null,
    });
  }

  /** What the web console is told at start: this relay, and its sign-in with the console's client. */
  consoleConfig(request: IncomingMessage): ConsoleSettings {
    const signIn = this.#options.signIn;
    return {
      relay: this.#relayUrl(request),
      authentication:
        signIn?.consoleClientId === undefined
          ? null
          : {
              authority: signIn.authority,
              tenantId: signIn.tenantId,
              serverApp: signIn.serverApp,
              clientId: signIn.consoleClientId,
            },
    };
  }

  #allowlist(call: Call): void {
    const query = new URL(call.request.url ?? '/', 'http://relay').searchParams;
    if (query.get('api-version') !== '2020-01-01') {
      throw new ControlError(
        'ERR_CONTROL_INVALID_REQUEST',
        `api-version must be 2020-01-01 (got ${JSON.stringify(query.get('api-version'))})`,
        'GET /urls/allowlist?api-version=2020-01-01&location=<region>',
      );
    }
    // The relay itself, and every issuer agents read signing keys from.
    const hosts = new Set([new URL(this.#relayUrl(call.request)).hostname]);
    for (const issuer of this.#options.entra?.issuers ?? []) {
      hosts.add(new URL(typeof issuer === 'string' ? issuer : issuer.issuer).hostname);
    }
    this.#send(call, 200, [...hosts]);
  }

  async #listClusters(call: Call): Promise<void> {
    const caller = await this.#signIn(call);
    const clusters = await this.#host.store.listClusters();
    const visible = [];
    for (const cluster of clusters) {
      if (caller.administrator || (await this.#access.rolesOf(caller, cluster.name)).length > 0)
        visible.push(await this.#view(cluster));
    }
    this.#send(call, 200, {value: visible});
  }

  async #createCluster(call: Call): Promise<void> {
    const caller = await this.#signIn(call);
    const {name} = parseNewCluster(await this.#readJson(call));
    this.#access.requireAdministrator(caller, `Connecting cluster ${name}`);
    const now = this.#host.now();
    const hybridConnection = `clusters/${name}`;
    const agentKey = newKey();
    const agentRule: AuthorizationRule = {
      entity: hybridConnection,
      name: AGENT_RULE,
      primaryKey: agentKey,
      secondaryKey: undefined,
      rights: ['Listen'],
      primaryKeyExpiresAt: new Date(now + this.#limits.agentCredentialSeconds * 1000).toISOString(),
    };
    const cluster = await this.#host.store.createCluster({
      name,
      id: randomUUID(),
      createdBy: caller.objectId,
      createdAt: new Date(now).toISOString(),
      rules: [
        agentRule,
        {
          entity: hybridConnection,
          name: SENDER_RULE,
          primaryKey: newKey(),
          secondaryKey: undefined,
          rights: ['Send'],
        },
      ],
    });
    this.#send(call, 201, {
      cluster: await this.#view(cluster),
      agentCredential: this.#agentCredential(call, cluster, agentRule),
    });
  }

  async #getCluster(call: Call, name: string): Promise<void> {
    const caller = await this.#signIn(call);
    const cluster = await this.#cluster(name);
    await this.#access.requireAnyRole(caller, name, `Reading cluster ${name}`);
    this.#send(call, 200, await this.#view(cluster));
  }

  async #deleteCluster(call: Call, name: string): Promise<void> {
    const caller = await this.#signIn(call);
    const cluster = await this.#cluster(name);
    this.#access.requireAdministrator(caller, `Deleting cluster ${name}`);
    await this.#host.store.deleteCluster(name);
    this.#host.disconnectListeners(cluster.hybridConnection, 'EntityDeleted');
    this.#noContent(call);
  }

  async #listClusterUserCredential(call: Call, name: string): Promise<void> {
    const caller = await this.#signIn(call);
    const cluster = await this.#cluster(name);
    const {authenticationMethod} = parseCredentialRequest(
      await this.#readJson(call, {optional: true}),
    );
    await this.#access.requireAnyRole(caller, name, `Getting credentials for cluster ${name}`);
    const sender = await this.#host.store.getAuthorizationRule(
      cluster.hybridConnection,
      SENDER_RULE,
    );
    if (!sender)
      throw new ControlError('ERR_CONTROL_UNAVAILABLE', `Cluster ${name} has no sender rule`);
    const relay = this.#relayUrl(call.request);
    const expirationTime = Math.floor(this.#host.now() / 1000) + this.#limits.senderTokenSeconds;
    const token = await createSasToken({
      resource: `http://${new URL(relay).hostname}/${cluster.hybridConnection}`,
      keyName: SENDER_RULE,
      key: sender.primaryKey,
      expiresAt: expirationTime,
    });
    this.#send(call, 200, {
      hybridConnectionConfig: {
        relay,
        hybridConnectionName: cluster.hybridConnection,
        token,
        expirationTime,
        relayType: 'porthole',
      },
      kubeconfigs: [
        {
          name: 'Kubeconfig',
          value: Buffer.from(proxyKubeconfig(name, authenticationMethod)).toString('base64'),
        },
      ],
    });
  }

  async #regenerateAgentCredential(call: Call, name: string): Promise<void> {
    const caller = await this.#signIn(call);
    const cluster = await this.#cluster(name);
    this.#access.requireAdministrator(
      caller,
      `Regenerating the agent credential of cluster ${name}`,
    );
    const rule: AuthorizationRule = {
      entity: cluster.hybridConnection,
      name: AGENT_RULE,
      primaryKey: newKey(),
      secondaryKey: undefined,
      rights: ['Listen'],
      primaryKeyExpiresAt: new Date(
        this.#host.now() + this.#limits.agentCredentialSeconds * 1000,
      ).toISOString(),
    };
    await this.#host.store.putAuthorizationRule(rule);
    this.#host.disconnectListeners(cluster.hybridConnection, 'CredentialRevoked');
    this.#send(call, 200, this.#agentCredential(call, cluster, rule));
  }

  async #listRoleAssignments(call: Call, name: string): Promise<void> {
    const caller = await this.#signIn(call);
    await this.#cluster(name);
    await this.#access.requireAssignmentManager(
      caller,
      name,
      `Listing the role assignments of cluster ${name}`,
    );
    const assignments = await this.#host.store.listRoleAssignments(name);
    this.#send(call, 200, {value: assignments.map(roleAssignmentView)});
  }

  async #createRoleAssignment(call: Call, name: string): Promise<void> {
    const caller = await this.#signIn(call);
    await this.#cluster(name);
    const input = parseNewRoleAssignment(await this.#readJson(call));
    await this.#access.requireAssignmentManager(caller, name, `Assigning roles on cluster ${name}`);
    const created = await this.#host.store.createRoleAssignment({
      id: randomUUID(),
      cluster: name,
      principalId: input.principalId.toLowerCase(),
      principalType: input.principalType,
      role: input.role,
      namespace: input.namespace,
      createdAt: new Date(this.#host.now()).toISOString(),
      createdBy: caller.objectId,
    });
    this.#send(call, 201, roleAssignmentView(created));
  }

  async #deleteRoleAssignment(call: Call, name: string, id: string): Promise<void> {
    const caller = await this.#signIn(call);
    await this.#cluster(name);
    await this.#access.requireAssignmentManager(
      caller,
      name,
      `Removing role assignments of cluster ${name}`,
    );
    if (!(await this.#host.store.deleteRoleAssignment(name, id))) {
      throw new ControlError(
        'ERR_CONTROL_ASSIGNMENT_NOT_FOUND',
        `Cluster ${name} has no role assignment ${JSON.stringify(id)}`,
        `List them with: porthole role assignment list --cluster ${name}`,
      );
    }
    this.#noContent(call);
  }

  async #agentConfiguration(call: Call, name: string): Promise<void> {
    const cluster = await this.#agentCall(call, name);
    this.#send(call, 200, await this.#configuration(cluster));
  }

  async #heartbeat(call: Call, name: string): Promise<void> {
    const cluster = await this.#agentCall(call, name);
    const heartbeat = parseHeartbeat(await this.#readJson(call));
    await this.#host.store.recordHeartbeat(name, {
      ...heartbeat,
      at: new Date(this.#host.now()).toISOString(),
    });
    this.#send(call, 200, await this.#configuration(cluster));
  }

  async #agentRoleAssignments(call: Call, name: string): Promise<void> {
    await this.#agentCall(call, name);
    const value: RoleAssignment[] = (await this.#host.store.listRoleAssignments(name)).map(
      (assignment) => ({
        principalId: assignment.principalId,
        role: assignment.role,
        scope:
          assignment.namespace === undefined
            ? {kind: 'cluster'}
            : {kind: 'namespace', namespace: assignment.namespace},
      }),
    );
    this.#send(call, 200, {value});
  }

  async #rotateAgentCredential(call: Call, name: string): Promise<void> {
    const cluster = await this.#agentCall(call, name);
    const current = await this.#host.store.getAuthorizationRule(
      cluster.hybridConnection,
      AGENT_RULE,
    );
    if (!current)
      throw new ControlError('ERR_CONTROL_FORBIDDEN', `Cluster ${name} has no agent credential`);
    const now = this.#host.now();
    // The key rotated away from keeps working a little while, for tokens already minted with it.
    const graceEnds = now + this.#limits.rotatedKeyGraceMs;
    const currentEnds =
      current.primaryKeyExpiresAt === undefined
        ? graceEnds
        : Date.parse(current.primaryKeyExpiresAt);
    const rule: AuthorizationRule = {
      ...current,
      primaryKey: newKey(),
      primaryKeyExpiresAt: new Date(now + this.#limits.agentCredentialSeconds * 1000).toISOString(),
      secondaryKey: current.primaryKey,
      secondaryKeyExpiresAt: new Date(Math.min(graceEnds, currentEnds)).toISOString(),
    };
    await this.#host.store.putAuthorizationRule(rule);
    this.#send(call, 200, this.#agentCredential(call, cluster, rule));
  }

  async #signIn(call: Call): Promise<UserCaller> {
    const caller = await this.#users.authenticate(call.request);
    call.principal = caller.objectId;
    return caller;
  }

  /** The cluster of an agent call, once its credential is checked. */
  async #agentCall(call: Call, name: string): Promise<ClusterRecord> {
    const cluster = await this.#cluster(name);
    await authenticateAgent(call.request, this.#host.authorizer, cluster.hybridConnection);
    call.principal = `agent:${name}`;
    return cluster;
  }

  async #cluster(name: string): Promise<ClusterRecord> {
    const cluster = await this.#host.store.getCluster(name);
    if (!cluster) {
      throw new ControlError(
        'ERR_CONTROL_CLUSTER_NOT_FOUND',
        `There is no cluster named ${name}`,
        'List the clusters with: porthole list',
      );
    }
    return cluster;
  }

  async #view(cluster: ClusterRecord) {
    const agentRule = await this.#host.store.getAuthorizationRule(
      cluster.hybridConnection,
      AGENT_RULE,
    );
    return clusterView(cluster, agentRule, this.#host.now(), this.#limits.offlineAfterMs);
  }

  async #configuration(cluster: ClusterRecord) {
    const agentRule = await this.#host.store.getAuthorizationRule(
      cluster.hybridConnection,
      AGENT_RULE,
    );
    const entra = this.#options.entra;
    return {
      cluster: cluster.name,
      heartbeatIntervalSeconds: Math.max(1, Math.round(this.#limits.heartbeatIntervalMs / 1000)),
      credentialExpiresAt: agentRule?.primaryKeyExpiresAt ?? null,
      entra: entra
        ? {
            tenants: [...entra.tenants],
            issuers: entra.issuers.map((issuer) =>
              typeof issuer === 'string' ? issuer : issuer.issuer,
            ),
            audiences: [...entra.audiences],
          }
        : null,
    };
  }

  #agentCredential(call: Call, cluster: ClusterRecord, rule: AuthorizationRule) {
    return {
      relay: this.#relayUrl(call.request),
      hybridConnection: cluster.hybridConnection,
      keyName: rule.name,
      key: rule.primaryKey,
      expiresAt: rule.primaryKeyExpiresAt ?? '',
    };
  }

  #relayUrl(request: IncomingMessage): string {
    if (this.#options.publicUrl) return this.#options.publicUrl.replace(/\/$/, '');
    return `${this.#host.secure() ? 'https' : 'http'}://${request.headers.host ?? '127.0.0.1'}`;
  }

  async #readJson(call: Call, options: {optional?: boolean} = {}): Promise<unknown> {
    const body = await readBody(call.request, this.#limits.maxBodyBytes);
    if (body === undefined) {
      call.response.setHeader('connection', 'close');
      throw new ControlError(
        'ERR_CONTROL_BODY_TOO_LARGE',
        `The request body is larger than ${this.#limits.maxBodyBytes} bytes`,
      );
    }
    if (body.length === 0 && options.optional) return {};
    if (!hasContentType(call.request, 'application/json')) {
      throw new ControlError(
        'ERR_CONTROL_INVALID_REQUEST',
        'The request body must be application/json',
      );
    }
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw new ControlError('ERR_CONTROL_INVALID_REQUEST', 'The request body is not valid JSON');
    }
  }

  #send(call: Call, status: number, body: unknown): void {
    sendJson(call.response, status, body, {[CORRELATION_HEADER]: call.correlationId});
  }

  #noContent(call: Call): void {
    call.response
      .writeHead(204, {[CORRELATION_HEADER]: call.correlationId, 'cache-control': 'no-store'})
      .end();
  }
}

function newKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Whether a page is the console a local bridge serves (`porthole console`): an https origin on
 * a loopback address, any port (`porthole proxy --port`). The API takes bearer tokens only,
 * never cookies, so answering such a page grants it nothing it does not hold already.
 */
function isBridgeConsoleOrigin(origin: string): boolean {
  const url = URL.parse(origin);
  return (
    url !== null &&
    url.protocol === 'https:' &&
    ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) &&
    url.origin === origin
  );
}
