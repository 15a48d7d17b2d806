// A loopback HTTP proxy in front of dynalite that answers a share of requests the way DynamoDB does when
// it throttles: HTTP 400 with `ProvisionedThroughputExceededException`. The AWS SDK retries those with
// backoff, then gives up, so the controller sees both slow calls and failed ones.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ThrottlingProxy {
  /** http://127.0.0.1:PORT — point a DynamoDBClient's `endpoint` here. */
  readonly endpoint: string;
  /** Share of requests refused, 0–1 (0 stops throttling). */
  rate: number;
  /** Requests refused so far. */
  readonly throttled: number;
  /** Requests forwarded so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

/** `random` decides each request (seeded in tests, so a run can be replayed). */
export async function startThrottlingProxy(
  target: string,
  options: { rate: number; random: () => number },
): Promise<ThrottlingProxy> {
  const upstream = new URL(target);
  const state = { rate: options.rate, throttled: 0, forwarded: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (options.random() < state.rate) {
        state.throttled++;
        const body = JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        });
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': Buffer.byteLength(body),
          'x-amzn-requestid': `throttled-${state.throttled}`,
        });
        res.end(body);
        return;
      }
      state.forwarded++;
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get rate() {
      return state.rate;
    },
    set rate(value: number) {
      state.rate = value;
    },
    get throttled() {
      return state.throttled;
    },
    get forwarded() {
      return state.forwarded;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
