// Runs a CloudFront Function's source under Node, the way the edge would: strict mode, a fresh global
// scope without Node's modules, and a stand-in for the `cloudfront` module whose kvs() handle reads from a
// local store. Used by the unit tests, the browser tests' edge emulator and local previews.
import { runInNewContext } from 'node:vm';

const CLOUDFRONT_IMPORT = "import cf from 'cloudfront';";

export interface CloudFrontHeaderValue {
  value: string;
}
export interface ViewerRequest {
  method: string;
  uri: string;
  querystring: Record<string, CloudFrontHeaderValue>;
  headers: Record<string, CloudFrontHeaderValue>;
  cookies: Record<string, CloudFrontHeaderValue>;
}
export interface GeneratedResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, CloudFrontHeaderValue>;
  body?: string | { encoding: 'text' | 'base64'; data: string };
}
export interface ViewerRequestEvent {
  version: '1.0';
  context: { eventType: 'viewer-request'; distributionId?: string; requestId?: string };
  viewer: { ip: string };
  request: ViewerRequest;
}

/** The `cf.kvs()` handle's read method as the runtime documents it: rejects when the key is absent. */
export interface KvsHandle {
  get(key: string): Promise<string>;
}

export type ViewerRequestHandler = (event: ViewerRequestEvent) => Promise<ViewerRequest | GeneratedResponse>;

/** Loads `code` and returns its `handler`. `kvs` is what `cf.kvs()` returns (throw from it to simulate no association). */
export function loadViewerRequestFunction(code: string, kvs: () => KvsHandle): ViewerRequestHandler {
  const lines = code.split('\n');
  if (lines[0] !== CLOUDFRONT_IMPORT || lines.slice(1).some((l) => /^\s*import\b/.test(l))) {
    throw new Error(`expected exactly one import, on the first line: ${CLOUDFRONT_IMPORT}`);
  }
  const body = lines.slice(1).join('\n');
  const sandbox = { __cloudfront: { kvs }, console };
  return runInNewContext(`'use strict';\nconst cf = __cloudfront;\n${body}\n;handler`, sandbox, {
    filename: 'cloudfront-function.js',
  }) as ViewerRequestHandler;
}

/** A KVS handle over a plain lookup function (undefined = key absent). */
export function kvsHandleFrom(lookup: (key: string) => string | undefined): KvsHandle {
  return {
    async get(key: string) {
      const value = lookup(key);
      if (value === undefined) throw new Error(`The key ${key} is not found.`);
      return value;
    },
  };
}

/** A viewer-request event for `uri`, with lower-case header names as CloudFront delivers them. */
export function viewerRequestEvent(
  uri: string,
  options: { method?: string; cookies?: Record<string, string>; headers?: Record<string, string> } = {},
): ViewerRequestEvent {
  const wrap = (o: Record<string, string> = {}) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), { value: v }]));
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '127.0.0.1' },
    request: {
      method: options.method ?? 'GET',
      uri,
      querystring: {},
      headers: wrap(options.headers),
      cookies: Object.fromEntries(Object.entries(options.cookies ?? {}).map(([k, v]) => [k, { value: v }])),
    },
  };
}

export const isGeneratedResponse = (r: ViewerRequest | GeneratedResponse): r is GeneratedResponse =>
  'statusCode' in r;

/** The body of a generated response as text. */
export function responseBodyText(r: GeneratedResponse): string {
  if (r.body === undefined) return '';
  if (typeof r.body === 'string') return r.body;
  return r.body.encoding === 'base64' ? Buffer.from(r.body.data, 'base64').toString('utf8') : r.body.data;
}
