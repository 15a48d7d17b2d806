// A loopback stand-in for the SurgeEdge distribution (lib/edge) and the customer's origin, for the drill,
// the browser tests and `cx-surge edge verify` tests. It follows the construct's routing:
//
//   viewer ─▶ distribution (127.0.0.1) ─┬─ bootstrap path: the real rendered CloudFront Function
//                                       │     (flag from the KeyValueStore) ── stub, or ─▶ origin group
//                                       ├─ /support-fallback* ─▶ fallback "bucket" (cached: X-Cache Miss → Hit)
//                                       └─ anything else ─▶ origin group: primary = origin stand-in
//                                               500/502/503/504, refused, timed out ─▶ bucket, same path
//                                               bucket 403 (no such key) ─▶ /support-fallback.html, 503
//
// The origin is its own HTTP server so a fault (5xx, 429, timeout, down) is real on the wire. What the
// stand-in shortens: CloudFront's origin timeout (2 attempts × 4 s in lib/edge) is `originTimeoutMs`
// (default 400 ms), so a drill does not wait 8 s of wall time per request on a hung origin.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EDGE_DEFAULTS } from '../../lambdas/edge/edge-config';
import { FALLBACK_PAGE, renderFallbackSite } from '../../lambdas/edge/fallback-site';
import {
  isGeneratedResponse,
  kvsHandleFrom,
  loadViewerRequestFunction,
  responseBodyText,
  viewerRequestEvent,
} from '../../lambdas/edge/local-runtime';
import { renderWidgetThrottleFunction } from '../../lambdas/edge/render';
import type { FaultKind } from '../faults';

/** Origin status codes on which the origin group fails over (lib/edge FAILOVER_STATUS_CODES). */
const FAILOVER_STATUS = new Set([500, 502, 503, 504]);

export const DRILL_SUPPORT_EMAIL = 'help@shop.example';
/** Health path the Route 53 check probes (lib/edge `originHealthCheckPath`, default '/'). */
export const ORIGIN_HEALTH_PATH = '/';

const MESSENGER_SNIPPET = `<script>
(function (g, e, n, es, ys) {
  g['_genesysJs'] = e;
  g[e] = g[e] || function () { (g[e].q = g[e].q || []).push(arguments); };
  g[e].t = 1 * new Date();
  g[e].c = es;
  ys = document.createElement('script'); ys.async = 1; ys.src = n; ys.charset = 'utf-8'; document.head.appendChild(ys);
})(window, 'Genesys', '${EDGE_DEFAULTS.messengerScriptPath}', { environment: 'prod', deploymentId: 'drill-deployment' });
</script>`;

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#fafafa}header{display:flex;justify-content:space-between;align-items:center;padding:16px 24px;background:#12355b;color:#fff}main{padding:24px}</style>
${MESSENGER_SNIPPET}</head><body>${body}</body></html>`;

/** The customer's site as the origin serves it: a page with a chat button, one without, and the FAQ. */
const SITE: Record<string, string> = {
  '/': page(
    'Shop',
    `<header><strong>Shop.example</strong><button data-cx-chat-button type="button">Chat with us</button></header>
<main><h1>Flash sale</h1><p>Everything 50% off today.</p></main>`,
  ),
  '/plain': page(
    'Shop – no chat button',
    '<main><h1>Order status</h1><p>Your order is on its way.</p></main>',
  ),
  '/faq': page('FAQ', '<main><h1>Frequently asked questions</h1></main>'),
};

/** What the real Messenger bootstrap would do, reduced to something a check can see: a launcher button. */
export const REAL_BOOTSTRAP = `(function(){var b=document.createElement('button');b.id='genesys-messenger-launcher';b.textContent='Messenger';
var add=function(){document.body.appendChild(b)};document.readyState==='loading'?document.addEventListener('DOMContentLoaded',add):add();})();`;
export const REAL_BOOTSTRAP_ETAG = '"real-bootstrap-1"';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'application/javascript; charset=utf-8',
  json: 'application/json',
};
const contentType = (name: string) =>
  CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';

export interface OriginStandIn {
  readonly url: string;
  /** The fault in force (undefined: healthy). */
  fault: FaultKind | undefined;
  /** Requests the origin received (path), including health probes. */
  readonly requests: string[];
}

export interface EdgeStandIn {
  /** The "distribution". */
  readonly url: string;
  readonly origin: OriginStandIn;
  /** Every request the distribution received, in order (path only). */
  readonly requests: string[];
  /** Replace a fallback file, as ops would with an S3 upload. */
  putFallbackFile(name: string, content: string): void;
  close(): Promise<void>;
}

export interface EdgeStandInOptions {
  /** The KeyValueStore the function reads (undefined = key absent). */
  readonly readFlag: (key: string) => string | undefined;
  /** Stand-in for CloudFront's origin connection/response timeout. @default 400 */
  readonly originTimeoutMs?: number;
}

interface Fetched {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function startOrigin(): Promise<{ origin: OriginStandIn; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const origin: OriginStandIn = { url: '', fault: undefined, requests: [] };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://origin.local').pathname;
    origin.requests.push(path);
    switch (origin.fault) {
      case '5xx':
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '30' });
        return void res.end('origin unavailable (drill fault 5xx)');
      case '429':
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '30' });
        return void res.end('too many requests (drill fault 429)');
      case 'timeout':
        return; // never answers; the distribution gives up after its origin timeout
      case 'down':
        return void req.socket.destroy();
    }
    if (path === EDGE_DEFAULTS.messengerScriptPath) {
      res.writeHead(200, { 'content-type': CONTENT_TYPES.js as string, etag: REAL_BOOTSTRAP_ETAG });
      return void res.end(REAL_BOOTSTRAP);
    }
    const body = SITE[path];
    res.writeHead(body ? 200 : 404, { 'content-type': body ? (CONTENT_TYPES.html as string) : 'text/plain' });
    res.end(body ?? 'not found');
  });
  // A "down" origin refuses at once, before any request is read.
  server.on('connection', (socket) => {
    if (origin.fault === 'down') return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  (origin as { url: string }).url = await listen(server);
  return { origin, server, sockets };
}

/** One request to the origin as CloudFront's origin fetch would make it; undefined = refused or timed out. */
function fetchOrigin(
  originUrl: string,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Fetched | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest(`${originUrl}${path}`, { method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
        resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
      });
      res.on('error', () => resolve(undefined));
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(undefined);
    }, timeoutMs);
    req.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    req.end();
  });
}

export async function startEdgeStandIn(options: EdgeStandInOptions): Promise<EdgeStandIn> {
  const originTimeoutMs = options.originTimeoutMs ?? 400;
  const bucket = new Map(
    Object.entries(
      renderFallbackSite({
        email: DRILL_SUPPORT_EMAIL,
        siteName: 'Shop.example',
        links: [
          { label: 'Track your order', href: 'https://orders.shop.example/track' },
          { label: 'Returns and refunds', href: 'https://help.shop.example/returns' },
          { label: 'Frequently asked questions', href: 'https://help.shop.example/faq' },
        ],
      }),
    ),
  );
  const cached = new Set<string>();
  const edgeFunction = loadViewerRequestFunction(
    renderWidgetThrottleFunction({ stub: { email: DRILL_SUPPORT_EMAIL, faqUrl: '/faq' } }),
    () => kvsHandleFrom(options.readFlag),
  );
  const { origin, server: originServer } = await startOrigin();
  const requests: string[] = [];

  const send = (
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: string | Buffer,
  ) => {
    res.writeHead(status, headers);
    res.end(body);
  };
  /** The bucket's answer for a path, as the fallback cache behaviour (TTL 30 s) serves it. */
  const fromBucket = (path: string): { status: number; type: string; body: string; cache: string } => {
    const file = bucket.get(path.slice(1));
    if (file === undefined)
      return {
        status: 403,
        type: 'application/xml',
        body: '<Error><Code>AccessDenied</Code></Error>',
        cache: 'Error',
      };
    const cache = cached.has(path) ? 'Hit' : 'Miss';
    cached.add(path);
    return { status: 200, type: contentType(path), body: file, cache };
  };
  /** Failover: the same path against the bucket; its 403 becomes the fallback page with status 503. */
  const failOver = (res: ServerResponse, path: string) => {
    const b = fromBucket(path);
    if (b.status === 200)
      return send(res, 200, { 'content-type': b.type, 'x-cache': `${b.cache} from cloudfront` }, b.body);
    const pageFile = bucket.get(FALLBACK_PAGE) as string;
    send(
      res,
      503,
      { 'content-type': CONTENT_TYPES.html as string, 'x-cache': 'Error from cloudfront' },
      pageFile,
    );
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://edge.local');
    const path = url.pathname;
    requests.push(path);
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
      return send(
        res,
        403,
        { 'content-type': 'text/plain', 'x-cache': 'Error from cloudfront' },
        'method not allowed',
      );
    }
    const forwarded: Record<string, string> = {};
    if (req.headers.cookie) forwarded.cookie = req.headers.cookie;
    if (req.headers['if-none-match']) forwarded['if-none-match'] = String(req.headers['if-none-match']);

    if (path === EDGE_DEFAULTS.messengerScriptPath) {
      const cookies = Object.fromEntries(
        (req.headers.cookie ?? '')
          .split(';')
          .map((c) => c.trim().split('='))
          .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== ''),
      );
      const result = await edgeFunction(viewerRequestEvent(path, { method: req.method ?? 'GET', cookies }));
      if (isGeneratedResponse(result)) {
        const headers = Object.fromEntries(
          Object.entries(result.headers ?? {}).map(([k, v]) => [k, v.value]),
        );
        return send(
          res,
          result.statusCode,
          { ...headers, 'x-cache': 'FunctionGeneratedResponse from cloudfront' },
          responseBodyText(result),
        );
      }
    }
    if (path.startsWith('/support-fallback')) {
      const b = fromBucket(path);
      return send(res, b.status, { 'content-type': b.type, 'x-cache': `${b.cache} from cloudfront` }, b.body);
    }
    const answer = await fetchOrigin(origin.url, `${path}${url.search}`, forwarded, originTimeoutMs);
    if (answer === undefined || FAILOVER_STATUS.has(answer.status)) return failOver(res, path);
    const headers: Record<string, string> = { ...answer.headers, 'x-cache': 'Miss from cloudfront' };
    delete headers.connection;
    delete headers['transfer-encoding'];
    delete headers['content-length'];
    // lib/edge's response headers policy on the bootstrap path: browsers revalidate it on every page view.
    if (path === EDGE_DEFAULTS.messengerScriptPath) headers['cache-control'] = 'no-cache';
    if (path === EDGE_DEFAULTS.messengerScriptPath && req.headers['if-none-match'] === answer.headers.etag) {
      return send(
        res,
        304,
        { etag: answer.headers.etag ?? '', 'cache-control': 'no-cache', 'x-cache': 'Hit from cloudfront' },
        '',
      );
    }
    send(res, answer.status, headers, answer.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { 'content-type': 'text/plain' }, String(e)));
  });
  const url = await listen(server);
  return {
    url,
    origin,
    requests,
    putFallbackFile: (name, content) => {
      bucket.set(name, content);
      cached.delete(`/${name}`);
    },
    close: async () => {
      await closeServer(server);
      await closeServer(originServer);
    },
  };
}

/** Route 53's health check of the origin, once: healthy iff 2xx/3xx within the timeout. */
export async function probeOriginHealth(origin: OriginStandIn, timeoutMs = 1000): Promise<boolean> {
  const answer = await fetchOrigin(origin.url, ORIGIN_HEALTH_PATH, {}, timeoutMs);
  return answer !== undefined && answer.status >= 200 && answer.status < 400;
}
