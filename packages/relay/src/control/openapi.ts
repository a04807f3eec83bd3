/**
 * The control plane's API, as an OpenAPI 3.1 document served at `/api/v1/openapi.json`. It is
 * the contract: the tests validate every answer they get against these schemas.
 */

const nullable = (schema: Record<string, unknown>) => ({oneOf: [schema, {type: 'null'}]});
const json = (ref: string) => ({
  'application/json': {schema: {$ref: `#/components/schemas/${ref}`}},
});
const answer = (description: string, ref: string) => ({description, content: json(ref)});
const failure = (description: string) => answer(description, 'Error');

const CLUSTER_NAME = {
  name: 'name',
  in: 'path',
  required: true,
  schema: {$ref: '#/components/schemas/ClusterName'},
};
const USER_FAILURES = {
  '401': failure('No valid sign-in (ERR_CONTROL_UNAUTHENTICATED); run porthole login'),
  '403': failure(
    'Signed in without the role this needs (ERR_CONTROL_FORBIDDEN); the message names it',
  ),
};
const CLUSTER_FAILURES = {
  ...USER_FAILURES,
  '404': failure('No such cluster (ERR_CONTROL_CLUSTER_NOT_FOUND)'),
};
const AGENT_FAILURES = {
  '401': failure("The agent's credential is missing, invalid or expired"),
  '403': failure("The credential is not this cluster's agent credential"),
  '404': failure('No such cluster (ERR_CONTROL_CLUSTER_NOT_FOUND)'),
};

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Porthole control plane',
    version: 'v1',
    description:
      "Register clusters, obtain credentials to reach them through the relay, manage role assignments, and see what agents report. User calls carry an Entra (or embedded-provider) access token for the server app; agent calls carry a SAS token signed with the cluster's agent credential.",
  },
  servers: [{url: '/'}],
  security: [{entra: []}],
  paths: {
    '/api/v1/metadata': {
      get: {
        operationId: 'getMetadata',
        summary: 'How to sign in to this relay',
        security: [],
        responses: {'200': answer('The relay and its sign-in settings', 'Metadata')},
      },
    },
    '/api/v1/clusters': {
      get: {
        operationId: 'listClusters',
        summary: 'Clusters the caller holds a role on (every cluster for relay administrators)',
        responses: {'200': answer('The clusters, by name', 'ClusterList'), ...USER_FAILURES},
      },
      post: {
        operationId: 'createCluster',
        summary: 'Register a cluster (connect): its hybrid connection and agent credential',
        requestBody: {required: true, content: json('ClusterCreate')},
        responses: {
          '201': answer(
            'The cluster, with its agent credential (shown only now)',
            'ClusterCreated',
          ),
          '400': failure('An invalid name (ERR_CONTROL_INVALID_REQUEST)'),
          '409': failure('The name is taken (ERR_CONTROL_CLUSTER_EXISTS)'),
          ...USER_FAILURES,
        },
      },
    },
    '/api/v1/clusters/{name}': {
      parameters: [CLUSTER_NAME],
      get: {
        operationId: 'getCluster',
        summary: 'A cluster and its connectivity status',
        responses: {'200': answer('The cluster', 'Cluster'), ...CLUSTER_FAILURES},
      },
      delete: {
        operationId: 'deleteCluster',
        summary: 'Delete a cluster: its agent is disconnected and its credential revoked',
        responses: {'204': {description: 'Deleted'}, ...CLUSTER_FAILURES},
      },
    },
    '/api/v1/clusters/{name}/listClusterUserCredential': {
      parameters: [CLUSTER_NAME],
      post: {
        operationId: 'listClusterUserCredential',
        summary: 'A short-lived sender credential for the cluster (needs Cluster User or higher)',
        requestBody: {required: false, content: json('CredentialRequest')},
        responses: {
          '200': answer('Relay, hybrid connection, token and kubeconfig', 'ClusterUserCredential'),
          ...CLUSTER_FAILURES,
        },
      },
    },
    '/api/v1/clusters/{name}/agentCredential/regenerate': {
      parameters: [CLUSTER_NAME],
      post: {
        operationId: 'regenerateAgentCredential',
        summary: 'Revoke the agent credential and issue a new one; the agent is disconnected',
        responses: {
          '200': answer('The new credential (shown only now)', 'AgentCredential'),
          ...CLUSTER_FAILURES,
        },
      },
    },
    '/api/v1/clusters/{name}/roleAssignments': {
      parameters: [CLUSTER_NAME],
      get: {
        operationId: 'listRoleAssignments',
        summary: "The cluster's role assignments",
        responses: {
          '200': answer('The assignments, oldest first', 'RoleAssignmentList'),
          ...CLUSTER_FAILURES,
        },
      },
      post: {
        operationId: 'createRoleAssignment',
        summary: 'Give a principal a built-in role on the cluster or one namespace',
        requestBody: {required: true, content: json('RoleAssignmentCreate')},
        responses: {
          '201': answer('The assignment', 'RoleAssignment'),
          '400': failure('An invalid principal, role or namespace (ERR_CONTROL_INVALID_REQUEST)'),
          '409': failure('The same assignment exists (ERR_CONTROL_ASSIGNMENT_EXISTS)'),
          ...CLUSTER_FAILURES,
        },
      },
    },
    '/api/v1/clusters/{name}/roleAssignments/{id}': {
      parameters: [
        CLUSTER_NAME,
        {name: 'id', in: 'path', required: true, schema: {type: 'string', format: 'uuid'}},
      ],
      delete: {
        operationId: 'deleteRoleAssignment',
        summary: 'Remove a role assignment',
        responses: {'204': {description: 'Deleted'}, ...CLUSTER_FAILURES},
      },
    },
    '/api/v1/clusters/{name}/agent/configuration': {
      parameters: [CLUSTER_NAME],
      get: {
        operationId: 'getAgentConfiguration',
        summary: "What the cluster's agent needs to serve: sign-in settings, heartbeat interval",
        security: [{agent: []}],
        responses: {'200': answer('The configuration', 'AgentConfiguration'), ...AGENT_FAILURES},
      },
    },
    '/api/v1/clusters/{name}/agent/heartbeat': {
      parameters: [CLUSTER_NAME],
      post: {
        operationId: 'postHeartbeat',
        summary:
          "The agent reports its version, the cluster's version and node count, and its errors",
        security: [{agent: []}],
        requestBody: {required: true, content: json('Heartbeat')},
        responses: {
          '200': answer('The configuration, which may have changed', 'AgentConfiguration'),
          '400': failure('An invalid heartbeat'),
          ...AGENT_FAILURES,
        },
      },
    },
    '/api/v1/clusters/{name}/agent/roleAssignments': {
      parameters: [CLUSTER_NAME],
      get: {
        operationId: 'getAgentRoleAssignments',
        summary: 'The role assignments the agent enforces',
        security: [{agent: []}],
        responses: {'200': answer('The assignments', 'AgentRoleAssignments'), ...AGENT_FAILURES},
      },
    },
    '/api/v1/clusters/{name}/agent/rotateCredential': {
      parameters: [CLUSTER_NAME],
      post: {
        operationId: 'rotateAgentCredential',
        summary: 'The agent swaps its credential for a new one before it expires',
        security: [{agent: []}],
        responses: {'200': answer('The new credential', 'AgentCredential'), ...AGENT_FAILURES},
      },
    },
    '/urls/allowlist': {
      get: {
        operationId: 'getAllowlist',
        summary: 'The host names agents and clients must be allowed to reach (Arc-compatible)',
        security: [],
        parameters: [
          {name: 'api-version', in: 'query', required: true, schema: {const: '2020-01-01'}},
          {name: 'location', in: 'query', required: false, schema: {type: 'string'}},
        ],
        responses: {
          '200': {
            description: 'Host names',
            content: {'application/json': {schema: {type: 'array', items: {type: 'string'}}}},
          },
          '400': failure('A missing or unsupported api-version'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      entra: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'An access token for the server app',
      },
      agent: {
        type: 'http',
        scheme: 'SharedAccessSignature',
        description:
          "A SAS token signed with the cluster's agent credential, audience the cluster's hybrid connection",
      },
    },
    schemas: {
      ClusterName: {type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'},
      Timestamp: {type: 'string', format: 'date-time'},
      Role: {enum: ['Viewer', 'Writer', 'Admin', 'Cluster Admin', 'Cluster User']},
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message', 'correlationId'],
            properties: {
              code: {type: 'string', pattern: '^ERR_[A-Z_]+$'},
              message: {type: 'string'},
              hint: {type: 'string'},
              correlationId: {type: 'string'},
            },
            additionalProperties: false,
          },
        },
        additionalProperties: false,
      },
      Metadata: {
        type: 'object',
        required: ['relay', 'apiVersion', 'authentication'],
        properties: {
          relay: {type: 'string', description: 'The relay URL clients and agents use'},
          apiVersion: {const: 'v1'},
          authentication: nullable({
            type: 'object',
            required: ['authority', 'tenantId', 'serverApp', 'clientId'],
            properties: {
              authority: {type: 'string'},
              tenantId: {type: 'string'},
              serverApp: {
                type: 'string',
                description: 'The server app: tokens are asked for its api://<id>/.default',
              },
              clientId: {type: 'string', description: "The CLI's public client"},
            },
            additionalProperties: false,
          }),
        },
        additionalProperties: false,
      },
      Cluster: {
        type: 'object',
        required: [
          'name',
          'id',
          'hybridConnection',
          'createdAt',
          'createdBy',
          'connectivityStatus',
          'agentVersion',
          'kubernetesVersion',
          'totalNodeCount',
          'lastConnectivityTime',
          'agentErrors',
          'agentCredentialExpiresAt',
        ],
        properties: {
          name: {$ref: '#/components/schemas/ClusterName'},
          id: {type: 'string', format: 'uuid'},
          hybridConnection: {type: 'string'},
          createdAt: {$ref: '#/components/schemas/Timestamp'},
          createdBy: {type: 'string'},
          connectivityStatus: {
            enum: ['Connecting', 'Connected', 'Offline', 'Expired'],
            description:
              "Connecting until the first heartbeat; Offline after a silence longer than the relay's threshold; Expired once the agent credential lapsed",
          },
          agentVersion: nullable({type: 'string'}),
          kubernetesVersion: nullable({type: 'string'}),
          totalNodeCount: nullable({type: 'integer', minimum: 0}),
          lastConnectivityTime: nullable({$ref: '#/components/schemas/Timestamp'}),
          agentErrors: {type: 'array', items: {type: 'string'}},
          agentCredentialExpiresAt: nullable({$ref: '#/components/schemas/Timestamp'}),
        },
        additionalProperties: false,
      },
      ClusterList: {
        type: 'object',
        required: ['value'],
        properties: {value: {type: 'array', items: {$ref: '#/components/schemas/Cluster'}}},
        additionalProperties: false,
      },
      ClusterCreate: {
        type: 'object',
        required: ['name'],
        properties: {name: {$ref: '#/components/schemas/ClusterName'}},
        additionalProperties: false,
      },
      ClusterCreated: {
        type: 'object',
        required: ['cluster', 'agentCredential'],
        properties: {
          cluster: {$ref: '#/components/schemas/Cluster'},
          agentCredential: {$ref: '#/components/schemas/AgentCredential'},
        },
        additionalProperties: false,
      },
      AgentCredential: {
        type: 'object',
        required: ['relay', 'hybridConnection', 'keyName', 'key', 'expiresAt'],
        properties: {
          relay: {type: 'string'},
          hybridConnection: {type: 'string'},
          keyName: {type: 'string'},
          key: {type: 'string', description: "A secret: kept in the agent's Secret, never logged"},
          expiresAt: {$ref: '#/components/schemas/Timestamp'},
        },
        additionalProperties: false,
      },
      CredentialRequest: {
        type: 'object',
        properties: {
          authenticationMethod: {enum: ['AAD', 'Token'], default: 'AAD'},
          clientProxy: {type: 'boolean'},
        },
        additionalProperties: false,
      },
      ClusterUserCredential: {
        type: 'object',
        required: ['hybridConnectionConfig', 'kubeconfigs'],
        properties: {
          hybridConnectionConfig: {
            type: 'object',
            required: ['relay', 'hybridConnectionName', 'token', 'expirationTime', 'relayType'],
            properties: {
              relay: {type: 'string'},
              hybridConnectionName: {type: 'string'},
              token: {type: 'string', description: 'A sender SAS token; a secret'},
              expirationTime: {type: 'integer', description: 'Unix seconds'},
              relayType: {const: 'porthole'},
            },
            additionalProperties: false,
          },
          kubeconfigs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'value'],
              properties: {
                name: {type: 'string'},
                value: {type: 'string', contentEncoding: 'base64'},
              },
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
      RoleAssignmentCreate: {
        type: 'object',
        required: ['principalId', 'role'],
        properties: {
          principalId: {type: 'string', format: 'uuid'},
          principalType: {enum: ['User', 'Group', 'ServicePrincipal']},
          role: {$ref: '#/components/schemas/Role'},
          namespace: {type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'},
        },
        additionalProperties: false,
      },
      RoleAssignment: {
        type: 'object',
        required: [
          'id',
          'cluster',
          'principalId',
          'principalType',
          'role',
          'namespace',
          'scope',
          'createdAt',
          'createdBy',
        ],
        properties: {
          id: {type: 'string', format: 'uuid'},
          cluster: {$ref: '#/components/schemas/ClusterName'},
          principalId: {type: 'string'},
          principalType: nullable({enum: ['User', 'Group', 'ServicePrincipal']}),
          role: {$ref: '#/components/schemas/Role'},
          namespace: nullable({type: 'string'}),
          scope: {
            type: 'string',
            description: 'clusters/<name> or clusters/<name>/namespaces/<namespace>',
          },
          createdAt: {$ref: '#/components/schemas/Timestamp'},
          createdBy: {type: 'string'},
        },
        additionalProperties: false,
      },
      RoleAssignmentList: {
        type: 'object',
        required: ['value'],
        properties: {value: {type: 'array', items: {$ref: '#/components/schemas/RoleAssignment'}}},
        additionalProperties: false,
      },
      AgentRoleAssignments: {
        type: 'object',
        required: ['value'],
        properties: {
          value: {
            type: 'array',
            items: {
              type: 'object',
              required: ['principalId', 'role', 'scope'],
              properties: {
                principalId: {type: 'string'},
                role: {$ref: '#/components/schemas/Role'},
                scope: {
                  oneOf: [
                    {
                      type: 'object',
                      required: ['kind'],
                      properties: {kind: {const: 'cluster'}},
                      additionalProperties: false,
                    },
                    {
                      type: 'object',
                      required: ['kind', 'namespace'],
                      properties: {kind: {const: 'namespace'}, namespace: {type: 'string'}},
                      additionalProperties: false,
                    },
                  ],
                },
              },
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
      Heartbeat: {
        type: 'object',
        required: ['agentVersion'],
        properties: {
          agentVersion: {type: 'string', maxLength: 64},
          kubernetesVersion: {type: 'string', maxLength: 64},
          totalNodeCount: {type: 'integer', minimum: 0},
          agentErrors: {type: 'array', maxItems: 20, items: {type: 'string', maxLength: 512}},
        },
        additionalProperties: false,
      },
      AgentConfiguration: {
        type: 'object',
        required: ['cluster', 'heartbeatIntervalSeconds', 'credentialExpiresAt', 'entra'],
        properties: {
          cluster: {$ref: '#/components/schemas/ClusterName'},
          heartbeatIntervalSeconds: {type: 'integer', minimum: 1},
          credentialExpiresAt: nullable({$ref: '#/components/schemas/Timestamp'}),
          entra: nullable({
            type: 'object',
            required: ['tenants', 'issuers', 'audiences'],
            properties: {
              tenants: {type: 'array', items: {type: 'string'}},
              issuers: {type: 'array', items: {type: 'string'}},
              audiences: {type: 'array', items: {type: 'string'}},
            },
            additionalProperties: false,
          }),
        },
        additionalProperties: false,
      },
    },
  },
} as const;
