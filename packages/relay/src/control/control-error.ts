import {PortholeError} from '@porthole/core';

/** Stable error codes the control plane answers with, listed in `docs/errors.md`. */
export type ControlErrorCode =
  | 'ERR_CONTROL_UNAUTHENTICATED'
  | 'ERR_CONTROL_FORBIDDEN'
  | 'ERR_CONTROL_NOT_FOUND'
  | 'ERR_CONTROL_CLUSTER_NOT_FOUND'
  | 'ERR_CONTROL_CLUSTER_EXISTS'
  | 'ERR_CONTROL_ASSIGNMENT_NOT_FOUND'
  | 'ERR_CONTROL_ASSIGNMENT_EXISTS'
  | 'ERR_CONTROL_INVALID_REQUEST'
  | 'ERR_CONTROL_BODY_TOO_LARGE'
  | 'ERR_CONTROL_METHOD_NOT_ALLOWED'
  | 'ERR_CONTROL_CREDENTIAL_EXPIRED'
  | 'ERR_CONTROL_UNAVAILABLE';

const STATUS: Record<ControlErrorCode, number> = {
  ERR_CONTROL_UNAUTHENTICATED: 401,
  ERR_CONTROL_FORBIDDEN: 403,
  ERR_CONTROL_NOT_FOUND: 404,
  ERR_CONTROL_CLUSTER_NOT_FOUND: 404,
  ERR_CONTROL_CLUSTER_EXISTS: 409,
  ERR_CONTROL_ASSIGNMENT_NOT_FOUND: 404,
  ERR_CONTROL_ASSIGNMENT_EXISTS: 409,
  ERR_CONTROL_INVALID_REQUEST: 400,
  ERR_CONTROL_BODY_TOO_LARGE: 413,
  ERR_CONTROL_METHOD_NOT_ALLOWED: 405,
  ERR_CONTROL_CREDENTIAL_EXPIRED: 401,
  ERR_CONTROL_UNAVAILABLE: 503,
};

/**
 * A request the control plane refuses: its HTTP status follows from the code, and the answer
 * is `{"error": {"code", "message", "hint", "correlationId"}}`. Messages never quote a token
 * or a key.
 */
export class ControlError extends PortholeError<ControlErrorCode> {
  readonly hint: string | undefined;

  constructor(code: ControlErrorCode, message: string, hint?: string, options?: {cause?: unknown}) {
    super(code, message, options);
    this.hint = hint;
  }

  get status(): number {
    return STATUS[this.code];
  }
}

/** The store's conflicts keep their codes; anything else unexpected is a 503, its detail logged only. */
export function toControlError(err: unknown): ControlError {
  if (err instanceof ControlError) return err;
  const code = (err as {code?: unknown}).code;
  if (code === 'ERR_CONTROL_CLUSTER_EXISTS') {
    return new ControlError(
      'ERR_CONTROL_CLUSTER_EXISTS',
      (err as Error).message,
      'Pick another name, or delete the cluster first: porthole delete -n NAME',
    );
  }
  if (code === 'ERR_CONTROL_ASSIGNMENT_EXISTS') {
    return new ControlError('ERR_CONTROL_ASSIGNMENT_EXISTS', (err as Error).message);
  }
  return new ControlError(
    'ERR_CONTROL_UNAVAILABLE',
    'The control plane cannot answer right now',
    'Try again; the relay log has the detail under this correlation id.',
    {cause: err},
  );
}
