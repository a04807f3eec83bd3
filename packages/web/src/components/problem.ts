/** An error as people read it: what happened, in a line, and the details that explain it. */
export interface Problem {
  title: string;
  message: string;
  hint: string | undefined;
  /** The stable code, shown small, for support. */
  code: string | undefined;
  /** The Kubernetes permission a 403 says is missing (`pods/exec`, or a role-assignment action). */
  permission: string | undefined;
  forbidden: boolean;
}

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  hint?: unknown;
}

/** The agent's words for a refusal by role assignments (see agent-bridge's explanation). */
const ROLE_ASSIGNMENT_ACTION = /no Porthole role assignment gives \S+ (\S+)/;
/** The apiserver's words for an RBAC refusal. */
const RBAC_REFUSAL = /cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?/;

/**
 * Describes an error for a page: a refused Kubernetes request (a 403 `Status`) names the
 * permission that is missing, a control-plane refusal keeps its hint, and every error keeps
 * its stable code. Never quotes a token: no error message holds one.
 *
 * @param error anything thrown
 * @param doing what was being tried, e.g. `Listing pods`
 */
export function describeProblem(error: unknown, doing?: string): Problem {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as ErrorFields;
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const message =
    typeof fields.message === 'string' && fields.message !== ''
      ? fields.message
      : typeof error === 'string' && error !== ''
        ? error
        : 'Unknown error';
  const hint = typeof fields.hint === 'string' ? fields.hint : undefined;
  const forbidden =
    code === 'ERR_CONTROL_FORBIDDEN' || (code === 'ERR_KUBE_STATUS' && fields.status === 403);
  let permission: string | undefined;
  if (forbidden && code === 'ERR_KUBE_STATUS') {
    const action = ROLE_ASSIGNMENT_ACTION.exec(message)?.[1];
    const rbac = RBAC_REFUSAL.exec(message);
    permission =
      action ??
      (rbac === null
        ? undefined
        : `${rbac[1] ?? ''} ${rbac[3] ? `${rbac[3]}/` : ''}${rbac[2] ?? ''}`);
  }
  return {
    title: titleFor(code, fields.status, forbidden, doing),
    message,
    hint,
    code,
    permission,
    forbidden,
  };
}

function titleFor(
  code: string | undefined,
  status: unknown,
  forbidden: boolean,
  doing: string | undefined,
): string {
  if (forbidden) return doing ? `${doing} is not allowed` : 'Permission denied';
  switch (code) {
    case 'ERR_WEB_SIGN_IN_REQUIRED':
    case 'ERR_CONTROL_UNAUTHENTICATED':
      return 'Sign in to continue';
    case 'ERR_WEB_CLUSTER_UNREACHABLE':
      return 'The cluster cannot be reached';
    case 'ERR_WEB_RELAY_UNREACHABLE':
      return 'The relay cannot be reached';
    case 'ERR_WEB_BRIDGE_UNREACHABLE':
      return 'The bridge cannot be reached';
    case 'ERR_CONTROL_CLUSTER_NOT_FOUND':
      return 'No such cluster';
    case 'ERR_KUBE_STATUS':
      if (status === 404) return 'Not found';
      break;
    default:
      break;
  }
  return doing ? `${doing} failed` : 'Something went wrong';
}
