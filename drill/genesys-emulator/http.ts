// HTTP plumbing shared by the emulator's routes: Genesys-style error bodies, JSON in and out.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The error codes the emulator answers with (Genesys `code` values). */
export const ErrorCode = {
  badRequest: 'bad.request',
  invalidValue: 'invalid.value',
  notFound: 'not.found',
  badCredentials: 'bad.credentials',
  conflict: 'general.conflict',
  tooManyRequests: 'too.many.requests.retry.after',
  payloadTooLarge: 'request.entity.too.large',
  methodNotAllowed: 'method.not.allowed',
  internalServerError: 'internal.server.error',
  serviceUnavailable: 'service.unavailable',
} as const;

/** A refusal with a status and a Genesys-style body; thrown by routes, answered by the server. */
export class GenesysHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'GenesysHttpError';
  }
}

export const badRequest = (message: string): GenesysHttpError =>
  new GenesysHttpError(400, ErrorCode.badRequest, message);
export const notFound = (what: string): GenesysHttpError =>
  new GenesysHttpError(404, ErrorCode.notFound, `${what} not found`);

/** The Genesys error code that usually comes with a status. */
export const defaultCodeFor = (status: number): string => {
  if (status === 400) return ErrorCode.badRequest;
  if (status === 401) return ErrorCode.badCredentials;
  if (status === 404) return ErrorCode.notFound;
  if (status === 409) return ErrorCode.conflict;
  if (status === 429) return ErrorCode.tooManyRequests;
  if (status === 503) return ErrorCode.serviceUnavailable;
  return status >= 500 ? ErrorCode.internalServerError : ErrorCode.badRequest;
};

/** The body shape Genesys Cloud answers errors with. */
export interface GenesysErrorBody {
  readonly message: string;
  readonly code: string;
  readonly status: number;
  readonly messageParams: Record<string, string>;
  readonly contextId: string;
  readonly details: unknown[];
  readonly errors: unknown[];
}

export function errorBody(status: number, message: string, code = defaultCodeFor(status)): GenesysErrorBody {
  return { message, code, status, messageParams: {}, contextId: randomUUID(), details: [], errors: [] };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    'inin-correlation-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: GenesysHttpError): void {
  sendJson(res, error.status, errorBody(error.status, error.message, error.code), error.headers);
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new GenesysHttpError(
        413,
        ErrorCode.payloadTooLarge,
        `request body exceeds ${MAX_BODY_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON request body; anything else is a 400 that says so. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw badRequest('request body is required');
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('unable to parse the request body as JSON');
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
