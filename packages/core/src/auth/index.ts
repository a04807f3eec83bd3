export {EntraTokenValidator} from './entra-token-validator.js';
export type {
  EntraClaims,
  EntraIssuer,
  EntraTokenValidatorOptions,
} from './entra-token-validator.js';
export {entraIdentity, hasGroupOverage, isEntraShaped} from './entra-identity.js';
export type {EntraIdentity, EntraIdentityOptions} from './entra-identity.js';
export {GraphGroupResolver} from './graph-groups.js';
export type {GraphGroupResolverOptions, GraphPrincipal} from './graph-groups.js';
export {impersonationHeaders} from './impersonation.js';
export type {Impersonation} from './impersonation.js';
export {clientCredentialToken} from './client-credentials.js';
export type {ClientCredentialOptions} from './client-credentials.js';
export {requestAttributes} from './request-attributes.js';
export type {KubeRequestAttributes} from './request-attributes.js';
export {
  ACTION_PREFIX,
  BUILT_IN_ROLES,
  decideByAssignments,
  parseRoleAssignments,
  requiredAction,
} from './role-assignments.js';
export type {BuiltInRole, RoleAssignment, RoleDecision} from './role-assignments.js';
export {isObjectId} from './object-id.js';
export {isEntraAuthority, serverScope} from './authorities.js';
