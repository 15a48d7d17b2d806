// A loopback stand-in for the CloudFront KeyValueStore data-plane API, so the drill switches Tier 3
// through the real `cloudfront-kvs` adapter (SDK client, SigV4A signing, ETag / If-Match) rather than
// a seam behind it. It serves one store, backed by an InMemoryKeyValueStore (the service's ETag rule),
// which the drill's CloudFront Function reads: actuator ─▶ SDK ─▶ HTTP ─▶ store ◀─ function.
//
//   GET /key-value-stores/{KvsARN}              DescribeKeyValueStore  → ETag header
//   GET /key-value-stores/{KvsARN}/keys/{Key}   GetKey                 → 404 ResourceNotFoundException
//   PUT /key-value-stores/{KvsARN}/keys/{Key}   PutKey (If-Match)      → 409 ConflictException on a stale ETag
//
// Requests must be signed with SigV4A (AWS4-ECDSA-P256-SHA256), as the real API demands; the signature
// itself is not verified (there is no secret to verify it with).
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryKeyValueStore } from '../../lambdas/adapters/cloudfront-kvs';
import type { Clock } from '../../lambdas/core/ports';

/** The store's ARN in drills: a syntactically valid ARN of an account that is not anybody's. */
export const DRILL_KVS_ARN =
  'arn:aws:cloudfront::000000000000:key-value-store/0d1e2a11-d511-4c5e-9000-000000000001';

const ROUTE =
  /^\/key-value-stores\/(arn:aws[a-z-]*:cloudfront::\d{12}:key-value-store\/[A-Za-z0-9-]+)(?:\/keys\/(.+))?$/;

export interface KvsDataPlaneStandIn {
  /** Endpoint for the SDK client. Any host name under it resolves to 127.0.0.1 through `agent`. */
  readonly endpoint: string;
  readonly kvsArn: string;
  readonly store: InMemoryKeyValueStore;
  /** An HTTP agent whose DNS lookup answers 127.0.0.1 for every name (the SDK prefixes the account id). */
  readonly agent: Agent;
  /** Every call, e.g. `PutKey chat-widget-throttle 409`. */
  readonly calls: string[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

function reply(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
const error = (res: ServerResponse, status: number, type: string, message: string) =>
  reply(res, status, { Message: message }, { 'x-amzn-errortype': type });

export async function startKvsDataPlane(
  options: { kvsArn?: string; initial?: Record<string, string> } = {},
): Promise<KvsDataPlaneStandIn> {
  const kvsArn = options.kvsArn ?? DRILL_KVS_ARN;
  const store = new InMemoryKeyValueStore(options.initial ?? {});
  const calls: string[] = [];
  const stats = async () => ({ ItemCount: 1, TotalSizeInBytes: 64 });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const route = ROUTE.exec(decodeURIComponent((req.url ?? '').split('?')[0] ?? ''));
    const op = !route
      ? 'Unknown'
      : route[2] === undefined
        ? 'DescribeKeyValueStore'
        : req.method === 'PUT'
          ? 'PutKey'
          : 'GetKey';
    const note = (status: number) => calls.push(`${op}${route?.[2] ? ` ${route[2]}` : ''} ${status}`);
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-ECDSA-P256-SHA256 ')) {
      note(403);
      return error(
        res,
        403,
        'AccessDeniedException',
        'the KeyValueStore API accepts SigV4A-signed requests only',
      );
    }
    if (!route || route[1] !== kvsArn) {
      note(404);
      return error(res, 404, 'ResourceNotFoundException', `no KeyValueStore ${route?.[1] ?? req.url}`);
    }
    const key = route[2];
    if (key === undefined && req.method === 'GET') {
      note(200);
      return reply(
        res,
        200,
        { ...(await stats()), KvsARN: kvsArn, Created: 1_764_000_000 },
        { ETag: await store.etag() },
      );
    }
    if (key !== undefined && req.method === 'GET') {
      const value = await store.get(key);
      note(value === undefined ? 404 : 200);
      if (value === undefined) return error(res, 404, 'ResourceNotFoundException', `key ${key} not found`);
      return reply(res, 200, { Key: key, Value: value, ...(await stats()) });
    }
    if (key !== undefined && req.method === 'PUT') {
      const ifMatch = String(req.headers['if-match'] ?? '');
      let value: unknown;
      try {
        value = (JSON.parse(body) as { Value?: unknown }).Value;
      } catch {
        value = undefined;
      }
      if (typeof value !== 'string') {
        note(400);
        return error(res, 400, 'ValidationException', 'Value must be a string');
      }
      if (ifMatch !== (await store.etag())) {
        note(409);
        return error(res, 409, 'ConflictException', `ETag ${ifMatch} is stale`);
      }
      await store.put(key, value, ifMatch);
      note(200);
      return reply(res, 200, await stats(), { ETag: await store.etag() });
    }
    note(405);
    return error(res, 405, 'ValidationException', `${req.method} is not supported here`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => error(res, 500, 'InternalServerException', String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({
    keepAlive: true,
    lookup: ((_host: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) =>
      o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never,
  });
  return {
    endpoint: `http://kvs.drill.local:${(server.address() as AddressInfo).port}`,
    kvsArn,
    store,
    agent,
    calls,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The real `cloudfront-kvs` switch (createKvsSwitch: SDK client, SigV4A, ETag retry) against the stand-in.
 * The SDK is imported on first use, as in the Lambda, so drills without an edge never load it.
 */
export async function createDrillKvsSwitch(
  standIn: KvsDataPlaneStandIn,
  options: { sleep?: (ms: number) => Promise<void>; clock?: Clock } = {},
) {
  const [{ CloudFrontKeyValueStoreClient }, { createKvsSwitch }] = await Promise.all([
    import('@aws-sdk/client-cloudfront-keyvaluestore'),
    import('../../lambdas/adapters/cloudfront-kvs'),
  ]);
  const client = new CloudFrontKeyValueStoreClient({
    region: 'us-east-1',
    endpoint: standIn.endpoint,
    // Not a secret: the stand-in checks the signing scheme, never the key.
    credentials: { accessKeyId: 'DRILLLOCALACCESSKEY', secretAccessKey: 'drill-local-not-a-secret' },
    maxAttempts: 1,
    requestHandler: { httpAgent: standIn.agent },
  });
  // Switch deadlines come from the caller's clock: in a drill that is simulated time.
  return createKvsSwitch({
    kvsArn: standIn.kvsArn,
    client,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
