// The real SDK client on the wire, against a loopback stand-in for the KeyValueStore endpoint: proves the
// adapter's requests are signed with SigV4A (the API rejects plain SigV4) and that ETags travel as headers.
import { Agent, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKvsSwitch } from '../../../lambdas/adapters/cloudfront-kvs';

const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/0f2b7c1e-1111-2222-3333-444455556666';
interface Seen {
  method: string;
  url: string;
  authorization: string;
  regionSet: string | undefined;
  ifMatch: string | undefined;
}

const loopbackAgent = new Agent({
  lookup: ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
    options.all
      ? callback(null, [{ address: '127.0.0.1', family: 4 }])
      : callback(null, '127.0.0.1', 4)) as never,
});

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let value = 'off';
let etag = 1;

function reply(
  res: import('node:http').ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({
      method: req.method ?? '',
      url: decodeURIComponent(req.url ?? ''),
      authorization: String(req.headers.authorization ?? ''),
      regionSet: req.headers['x-amz-region-set'] as string | undefined,
      ifMatch: req.headers['if-match'] as string | undefined,
    });
    const keyPath = `/key-value-stores/${KVS_ARN}/keys/chat-widget-throttle`;
    const url = decodeURIComponent(req.url ?? '');
    if (req.method === 'GET' && url === `/key-value-stores/${KVS_ARN}`) {
      return reply(
        res,
        200,
        { ItemCount: 1, TotalSizeInBytes: 30, KvsARN: KVS_ARN, Created: 1_700_000_000 },
        { ETag: `E${etag}` },
      );
    }
    if (req.method === 'GET' && url === keyPath) {
      return reply(res, 200, {
        Key: 'chat-widget-throttle',
        Value: value,
        ItemCount: 1,
        TotalSizeInBytes: 30,
      });
    }
    if (req.method === 'PUT' && url === keyPath) {
      if (req.headers['if-match'] !== `E${etag}`)
        return reply(res, 409, { Message: 'ETag mismatch' }, { 'x-amzn-errortype': 'ConflictException' });
      value = (JSON.parse(body) as { Value: string }).Value;
      etag += 1;
      return reply(res, 200, { ItemCount: 1, TotalSizeInBytes: 30 }, { ETag: `E${etag}` });
    }
    reply(res, 404, { Message: `no route ${req.method} ${url}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The endpoint rules prepend the account id as a host label (123456789012.kvs.test); resolve every name to loopback.
  endpoint = `http://kvs.test:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('cloudfront-kvs switch on the wire', () => {
  it('signs every call with SigV4A for all regions and sends the ETag as If-Match', async () => {
    const client = new CloudFrontKeyValueStoreClient({
      region: 'eu-west-1',
      endpoint,
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
      maxAttempts: 1,
      requestHandler: { httpAgent: loopbackAgent },
    });
    const kvsSwitch = createKvsSwitch({ kvsArn: KVS_ARN, client });

    const outcome = await kvsSwitch.apply(
      {
        id: 'w',
        tier: 3,
        type: 'cloudfront-kvs',
        queues: ['*'],
        key: 'chat-widget-throttle',
        activeValue: 'on',
        inactiveValue: 'off',
      },
      'active',
    );

    expect(outcome.changed).toBe(true);
    expect(value).toBe('on');
    expect(seen.map((s) => s.method)).toEqual(['GET', 'GET', 'PUT', 'GET']);
    for (const request of seen) {
      expect(request.authorization).toMatch(
        /^AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/cloudfront-keyvaluestore\/aws4_request/,
      );
      expect(request.regionSet).toBe('*');
    }
    expect(seen.find((s) => s.method === 'PUT')?.ifMatch).toBe('E1');
  });
});
