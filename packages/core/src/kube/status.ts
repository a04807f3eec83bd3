import {KubeError} from '../errors.js';
import {printable} from '../lib/printable.js';

/**
 * A Kubernetes `Status` (meta/v1): what the apiserver — and the Porthole agent, in the same
 * shape — answers a failed request with, and what an exec's error channel carries.
 */
export interface KubeStatus {
  apiVersion?: string;
  kind?: string;
  /** `Success` or `Failure`. */
  status?: string;
  /** For people; a 403's names the missing permission. */
  message?: string;
  /** For programs: `Forbidden`, `NotFound`, `AlreadyExists`, `NonZeroExitCode`, … */
  reason?: string;
  /** The HTTP status it stands for. */
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: {reason?: string; message?: string; field?: string}[];
    retryAfterSeconds?: number;
  };
  metadata?: Record<string, unknown>;
}

/** The `reason` client-go gives a status that came without a `Status` body. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const decoder = new TextDecoder();

/** Whether a parsed JSON value is a `Status` object. */
export function isKubeStatus(value: unknown): value is KubeStatus {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as {kind?: unknown}).kind === 'Status'
  );
}

/**
 * The error for a response that was not a success. A `Status` body keeps its message exactly
 * (the agent's and the apiserver's 403s say which permission is missing, and a console must
 * show it); any other body is quoted, cut to 512 characters.
 *
 * @param status the HTTP status
 * @param statusText the reason phrase
 * @param body the response body, read whole
 */
export function statusError(status: number, statusText: string, body: Uint8Array): KubeError {
  const text = decoder.decode(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isKubeStatus(parsed)) {
    return new KubeError('ERR_KUBE_STATUS', parsed.message ?? `${status} ${statusText}`.trim(), {
      status,
      ...(parsed.reason === undefined ? reasonFor(status) : {reason: parsed.reason}),
      kubeStatus: parsed as Record<string, unknown>,
    });
  }
  const quoted = text.trim() === '' ? '' : `: ${printable(text.trim(), 512)}`;
  return new KubeError('ERR_KUBE_STATUS', `${status} ${statusText}`.trim() + quoted, {
    status,
    ...reasonFor(status),
  });
}

function reasonFor(status: number): {reason?: string} {
  const reason = REASONS[status];
  return reason === undefined ? {} : {reason};
}
