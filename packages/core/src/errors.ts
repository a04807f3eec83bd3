/**
 * Stable error codes raised by `@porthole/core`. Codes are API: they are listed in
 * `docs/errors.md`, and changing one is a breaking change.
 */
export type CoreErrorCode =
  | 'ERR_KUBECONFIG_INVALID'
  // Shared access signatures (Hybrid Connections §1.7).
  | 'ERR_SAS_TOKEN_MALFORMED'
  | 'ERR_SAS_TOKEN_EXPIRED'
  | 'ERR_SAS_SIGNATURE_INVALID'
  // Hybrid Connections addresses, control-channel messages and client handshakes.
  | 'ERR_HC_ADDRESS_INVALID'
  | 'ERR_HC_MESSAGE_INVALID'
  | 'ERR_HC_HANDSHAKE_FAILED'
  | 'ERR_HC_CONNECTION_CLOSED'
  // Porthole mux (PROTOCOL.md).
  | 'ERR_MUX_PROTOCOL'
  | 'ERR_MUX_FRAME_TOO_LARGE'
  | 'ERR_MUX_FLOW_CONTROL'
  | 'ERR_MUX_STREAM_REFUSED'
  | 'ERR_MUX_STREAM_RESET'
  | 'ERR_MUX_SESSION_CLOSED'
  | 'ERR_MUX_FLOOD'
  | 'ERR_MUX_IDLE_TIMEOUT'
  | 'ERR_MUX_RENEW_UNSUPPORTED'
  | 'ERR_MUX_RENEW_REFUSED'
  | 'ERR_MUX_RENEW_TIMEOUT'
  // Certificates (RFC 5280).
  | 'ERR_PKI_INVALID_REQUEST'
  // Entra ID access tokens and the identities they carry.
  | AuthErrorCode
  // The Kubernetes client over a byte stream (`@porthole/core/kube`).
  | KubeErrorCode
  // The relay's control plane, as it answered (`@porthole/core/control-plane`).
  | ControlErrorCode;

/**
 * The base of every error Porthole raises, in every package. Callers match on `code`
 * (`switch (err.code)`), never on the class, because two copies of a package may be loaded.
 *
 * @example
 *   throw new PortholeError('ERR_KUBECONFIG_INVALID', 'Invalid kubeconfig: "server" is empty');
 */
export class PortholeError<Code extends string = string> extends Error {
  /** The stable `ERR_<AREA>_<WHAT>` code. */
  readonly code: Code;

  /**
   * @param code the stable error code
   * @param message short, specific and free of secrets
   * @param options `cause`: the error this one wraps
   */
  constructor(code: Code, message: string, options?: {cause?: unknown}) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A kubeconfig could not be built from the values given. */
export class KubeconfigError extends PortholeError<'ERR_KUBECONFIG_INVALID'> {
  constructor(message: string) {
    super('ERR_KUBECONFIG_INVALID', `Invalid kubeconfig: ${message}`);
  }
}

/** A shared access signature that cannot be trusted; the message never quotes the token. */
export class SasTokenError extends PortholeError<
  'ERR_SAS_TOKEN_MALFORMED' | 'ERR_SAS_TOKEN_EXPIRED' | 'ERR_SAS_SIGNATURE_INVALID'
> {}

/**
 * A Hybrid Connections failure. `status` is the HTTP status that reports it on a handshake
 * (hybrid-connections.md §1.6), when there is one.
 */
export class HybridConnectionError extends PortholeError<
  | 'ERR_HC_ADDRESS_INVALID'
  | 'ERR_HC_MESSAGE_INVALID'
  | 'ERR_HC_HANDSHAKE_FAILED'
  | 'ERR_HC_CONNECTION_CLOSED'
> {
  readonly status: number | undefined;

  constructor(
    code: HybridConnectionError['code'],
    message: string,
    options?: {cause?: unknown; status?: number},
  ) {
    super(code, message, options);
    this.status = options?.status;
  }
}

/**
 * A Porthole mux failure. `closeCode` is the WebSocket close code that a connection-level
 * error closes the connection with (1002 protocol error, 1009 too big, 1008 policy); a
 * stream-level error (reset, refused) and a failed renewal (PROTOCOL.md §7.4) have none.
 */
export class MuxError extends PortholeError<
  | 'ERR_MUX_PROTOCOL'
  | 'ERR_MUX_FRAME_TOO_LARGE'
  | 'ERR_MUX_FLOW_CONTROL'
  | 'ERR_MUX_STREAM_REFUSED'
  | 'ERR_MUX_STREAM_RESET'
  | 'ERR_MUX_SESSION_CLOSED'
  | 'ERR_MUX_FLOOD'
  | 'ERR_MUX_IDLE_TIMEOUT'
  | 'ERR_MUX_RENEW_UNSUPPORTED'
  | 'ERR_MUX_RENEW_REFUSED'
  | 'ERR_MUX_RENEW_TIMEOUT'
> {
  readonly closeCode: number | undefined;

  constructor(
    code: MuxError['code'],
    message: string,
    options?: {cause?: unknown; closeCode?: number},
  ) {
    super(code, message, options);
    this.closeCode = options?.closeCode;
  }
}

/**
 * A certificate that cannot be issued as asked (a host that is neither a DNS name nor an IP
 * address, an empty name, a validity out of range), or a certificate authority that cannot be
 * loaded. The message names the value at fault; it never quotes key material.
 */
export class PkiError extends PortholeError<'ERR_PKI_INVALID_REQUEST'> {
  /**
   * @param message short and specific, e.g. `Invalid certificate request: host "1::2::3" is not a valid IPv6 address`
   * @param options `cause`: the error this one wraps
   */
  constructor(message: string, options?: {cause?: unknown}) {
    super('ERR_PKI_INVALID_REQUEST', message, options);
  }
}

/** Why an access token, or the identity it carries, is not accepted. */
export type AuthErrorCode =
  | 'ERR_AUTH_TOKEN_MALFORMED'
  | 'ERR_AUTH_TOKEN_EXPIRED'
  | 'ERR_AUTH_TOKEN_NOT_YET_VALID'
  | 'ERR_AUTH_ALGORITHM_REJECTED'
  | 'ERR_AUTH_SIGNATURE_INVALID'
  | 'ERR_AUTH_KEY_UNKNOWN'
  | 'ERR_AUTH_ISSUER_REJECTED'
  | 'ERR_AUTH_AUDIENCE_REJECTED'
  | 'ERR_AUTH_TENANT_REJECTED'
  | 'ERR_AUTH_CLAIM_INVALID'
  | 'ERR_AUTH_IDENTITY_REJECTED'
  | 'ERR_AUTH_METADATA_UNAVAILABLE'
  | 'ERR_AUTH_GROUPS_UNRESOLVED'
  | 'ERR_AUTH_ROLE_ASSIGNMENT_INVALID';

/**
 * A token that is not accepted, or an identity that cannot be established from it. Every one
 * means "401 Unauthorized" to the caller; the message says why without quoting the token.
 */
export class AuthError extends PortholeError<AuthErrorCode> {}

/** Why the Kubernetes client over a byte stream failed (`@porthole/core/kube`). */
export type KubeErrorCode =
  | 'ERR_KUBE_REQUEST_INVALID'
  | 'ERR_KUBE_HTTP_PROTOCOL'
  | 'ERR_KUBE_HEADERS_TOO_LARGE'
  | 'ERR_KUBE_TOO_MANY_HEADERS'
  | 'ERR_KUBE_CHUNK_EXTENSIONS_TOO_LARGE'
  | 'ERR_KUBE_BODY_TOO_LARGE'
  | 'ERR_KUBE_CONNECTION_CLOSED'
  | 'ERR_KUBE_ABORTED'
  | 'ERR_KUBE_STATUS'
  | 'ERR_KUBE_RESPONSE_INVALID'
  | 'ERR_KUBE_WEBSOCKET_HANDSHAKE'
  | 'ERR_KUBE_WEBSOCKET_PROTOCOL'
  | 'ERR_KUBE_MESSAGE_TOO_LARGE'
  | 'ERR_KUBE_CHANNEL_PROTOCOL';

/**
 * A failure of the Kubernetes client (`@porthole/core/kube`): of the request, of HTTP/1.1 on
 * the stream, of the WebSocket inside it, or a Kubernetes `Status` the apiserver (or the agent)
 * answered with.
 *
 * - `status`: the HTTP status of a response that was not a success (`ERR_KUBE_STATUS`, also
 *   a refused WebSocket upgrade), e.g. 403.
 * - `reason`: the `Status.reason`, e.g. `Forbidden`, `NotFound`, `NonZeroExitCode`.
 * - `kubeStatus`: the whole `Status` object, when the body was one.
 * - `closeCode`: the WebSocket close code a WebSocket failure closes with (RFC 6455 §7.4.1).
 */
export class KubeError extends PortholeError<KubeErrorCode> {
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly kubeStatus: Readonly<Record<string, unknown>> | undefined;
  readonly closeCode: number | undefined;

  /**
   * @param code the stable error code
   * @param message for `ERR_KUBE_STATUS`, the `Status.message` exactly as sent (it names the
   *   missing permission of a 403); otherwise short and specific
   * @param options `cause`, and the fields above
   */
  constructor(
    code: KubeErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      status?: number;
      reason?: string;
      kubeStatus?: Record<string, unknown>;
      closeCode?: number;
    },
  ) {
    super(code, message, options);
    this.status = options?.status;
    this.reason = options?.reason;
    this.kubeStatus = options?.kubeStatus;
    this.closeCode = options?.closeCode;
  }
}

/**
 * The relay control plane's own codes (`ERR_CONTROL_FORBIDDEN`, …), passed on as it sent them;
 * the relay lists them in `docs/errors.md`.
 */
export type ControlErrorCode = `ERR_CONTROL_${string}`;

/**
 * A refusal of the relay's control plane (`{error: {code, message, hint, correlationId}}`,
 * the OpenAPI `Error` schema), with its code kept: callers match `ERR_CONTROL_FORBIDDEN`.
 *
 * - `status`: the HTTP status, e.g. 403.
 * - `hint`: what to do about it, when the relay says.
 * - `correlationId`: the relay's id of the request, for its log.
 */
export class ControlPlaneError extends PortholeError<ControlErrorCode> {
  readonly status: number;
  readonly hint: string | undefined;
  readonly correlationId: string | undefined;

  /**
   * @param code the relay's `ERR_CONTROL_*` code
   * @param message the relay's message
   * @param options the status, hint and correlation id of the answer
   */
  constructor(
    code: ControlErrorCode,
    message: string,
    options: {status: number; hint?: string | undefined; correlationId?: string | undefined},
  ) {
    super(code, message);
    this.status = options.status;
    this.hint = options.hint;
    this.correlationId = options.correlationId;
  }
}

/** Every error `@porthole/core` raises, discriminated by `code`. */
export type AnyCoreError =
  | KubeconfigError
  | SasTokenError
  | HybridConnectionError
  | MuxError
  | PkiError
  | AuthError
  | KubeError
  | ControlPlaneError;
