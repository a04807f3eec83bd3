import {HybridConnectionError} from '../../errors.js';

/**
 * The JSON commands of the Hybrid Connections control channel (hybrid-connections.md §1.2):
 * one UTF-8 text message, one top-level key.
 */

/** A sender's network address as the relay saw it. */
export interface RemoteEndpoint {
  address: string;
  port: number;
}

/** relay → listener: a sender wants a WebSocket; meet it at `address`. */
export interface AcceptCommand {
  address: string;
  id: string;
  /** Every header of the sender's handshake, `Sec-WebSocket-Key` included. */
  connectHeaders: Record<string, string>;
  remoteEndpoint: RemoteEndpoint;
}

/**
 * relay → listener: an HTTP request. When the request must travel over a rendezvous (a body
 * over 64 KB or without Content-Length), only `address` and `id` are sent (§1.4).
 */
export interface RequestCommand {
  address: string;
  id: string;
  requestTarget?: string;
  method?: string;
  requestHeaders?: Record<string, string>;
  /** Whether one binary message with the body follows. */
  body?: boolean;
  remoteEndpoint?: RemoteEndpoint;
}

/** listener → relay: the answer to a request, by its id. */
export interface ResponseCommand {
  requestId: string;
  statusCode: number;
  statusDescription?: string;
  responseHeaders?: Record<string, string>;
  /** Whether one binary message with the body follows. */
  body: boolean;
}

/** A command the relay receives from a listener. Unknown commands are reported, not fatal. */
export type ListenerCommand =
  | {kind: 'response'; response: ResponseCommand}
  | {kind: 'renewToken'; token: string}
  | {kind: 'unknown'; name: string};

/** A command a listener receives from the relay. */
export type RelayCommand =
  | {kind: 'accept'; accept: AcceptCommand}
  | {kind: 'request'; request: RequestCommand}
  | {kind: 'unknown'; name: string};

/** Formats a relay → listener command. */
export function formatRelayCommand(
  command: {accept: AcceptCommand} | {request: RequestCommand},
): string {
  return JSON.stringify(command);
}

/** Formats a listener → relay command. */
export function formatListenerCommand(
  command: {response: ResponseCommand} | {renewToken: {token: string}},
): string {
  return JSON.stringify(command);
}

/**
 * Parses a listener → relay command.
 *
 * `statusCode` may be a number or a numeric string (the protocol guide's example sends a
 * string; .NET and hyco-https send numbers). 502 and 504 are reserved for the relay (§1.2).
 *
 * @throws HybridConnectionError `ERR_HC_MESSAGE_INVALID`
 */
export function parseListenerCommand(text: string): ListenerCommand {
  const [name, body] = singleKey(text);
  switch (name) {
    case 'response': {
      const requestId = requiredString(body, 'requestId', name);
      const statusCode =
        typeof body.statusCode === 'string' && /^\d{3}$/.test(body.statusCode)
          ? Number(body.statusCode)
          : body.statusCode;
      if (
        typeof statusCode !== 'number' ||
        !Number.isInteger(statusCode) ||
        statusCode < 100 ||
        statusCode > 599
      ) {
        throw invalid(
          `"response.statusCode" must be an HTTP status (got ${JSON.stringify(body.statusCode)})`,
        );
      }
      if (statusCode === 502 || statusCode === 504) {
        throw invalid(`"response.statusCode" ${statusCode} is reserved for the relay`);
      }
      const response: ResponseCommand = {
        requestId,
        statusCode,
        body: optionalBoolean(body, 'body', name) ?? false,
      };
      const description = optionalString(body, 'statusDescription', name);
      if (description !== undefined) response.statusDescription = description;
      const headers = optionalHeaders(body, 'responseHeaders', name);
      if (headers !== undefined) response.responseHeaders = headers;
      return {kind: 'response', response};
    }
    case 'renewToken':
      return {kind: 'renewToken', token: requiredString(body, 'token', name)};
    default:
      return {kind: 'unknown', name};
  }
}

/**
 * Parses a relay → listener command.
 *
 * @throws HybridConnectionError `ERR_HC_MESSAGE_INVALID`
 */
export function parseRelayCommand(text: string): RelayCommand {
  const [name, body] = singleKey(text);
  switch (name) {
    case 'accept':
      return {
        kind: 'accept',
        accept: {
          address: requiredString(body, 'address', name),
          id: requiredString(body, 'id', name),
          connectHeaders: optionalHeaders(body, 'connectHeaders', name) ?? {},
          remoteEndpoint: remoteEndpoint(body, name) ?? {address: '', port: 0},
        },
      };
    case 'request': {
      const request: RequestCommand = {
        address: requiredString(body, 'address', name),
        id: requiredString(body, 'id', name),
      };
      const target = optionalString(body, 'requestTarget', name);
      if (target !== undefined) request.requestTarget = target;
      const method = optionalString(body, 'method', name);
      if (method !== undefined) request.method = method;
      const headers = optionalHeaders(body, 'requestHeaders', name);
      if (headers !== undefined) request.requestHeaders = headers;
      const hasBody = optionalBoolean(body, 'body', name);
      if (hasBody !== undefined) request.body = hasBody;
      const endpoint = remoteEndpoint(body, name);
      if (endpoint !== undefined) request.remoteEndpoint = endpoint;
      return {kind: 'request', request};
    }
    default:
      return {kind: 'unknown', name};
  }
}

type JsonObject = Record<string, unknown>;

function singleKey(text: string): [string, JsonObject] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('the command is not JSON');
  }
  if (!isObject(parsed)) throw invalid('the command is not a JSON object');
  const keys = Object.keys(parsed);
  if (keys.length !== 1)
    throw invalid(`the command must have exactly one key (got ${keys.length})`);
  const name = keys[0] ?? '';
  const body = parsed[name];
  if (!isObject(body)) throw invalid(`"${name}" must be an object`);
  return [name, body];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(body: JsonObject, field: string, command: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '')
    throw invalid(`"${command}.${field}" must be a non-empty string`);
  return value;
}

function optionalString(body: JsonObject, field: string, command: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`"${command}.${field}" must be a string`);
  return value;
}

function optionalBoolean(body: JsonObject, field: string, command: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`"${command}.${field}" must be true or false`);
  return value;
}

function optionalHeaders(
  body: JsonObject,
  field: string,
  command: string,
): Record<string, string> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalid(`"${command}.${field}" must be an object of strings`);
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    if (typeof headerValue !== 'string')
      throw invalid(`"${command}.${field}.${name}" must be a string`);
    headers[name] = headerValue;
  }
  return headers;
}

function remoteEndpoint(body: JsonObject, command: string): RemoteEndpoint | undefined {
  const value = body.remoteEndpoint;
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.address !== 'string' || typeof value.port !== 'number') {
    throw invalid(`"${command}.remoteEndpoint" must be {address, port}`);
  }
  return {address: value.address, port: value.port};
}

function invalid(reason: string): HybridConnectionError {
  return new HybridConnectionError(
    'ERR_HC_MESSAGE_INVALID',
    `Invalid Hybrid Connections command: ${reason}`,
  );
}
