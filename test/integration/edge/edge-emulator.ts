// A loopback stand-in for the SurgeEdge distribution, for the browser tests and the screenshot script:
//   viewer ─▶ [viewer-request: the real rendered CloudFront Function, flag read from an in-memory KVS]
//          ─▶ origin group: primary = a tiny customer site (can be switched to failing with 503)
//                           failover = the rendered fallback site "bucket" (missing key → 403)
//          ─▶ custom error response 403 → /support-fallback.html with status 503
// It follows the construct's routing (lib/edge) closely enough to show both tiers in a real browser.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryKeyValueStore } from '../../../lambdas/adapters/cloudfront-kvs';
import { EDGE_DEFAULTS } from '../../../lambdas/edge/edge-config';
import { FALLBACK_PAGE, renderFallbackSite } from '../../../lambdas/edge/fallback-site';
import {
  isGeneratedResponse,
  kvsHandleFrom,
  loadViewerRequestFunction,
  responseBodyText,
  viewerRequestEvent,
} from '../../../lambdas/edge/local-runtime';
import { renderWidgetThrottleFunction } from '../../../lambdas/edge/render';

export const SUPPORT_EMAIL = 'help@shop.example';

const MESSENGER_SNIPPET = `<script>
(function (g, e, n, es, ys) {
  g['_genesysJs'] = e;
  g[e] = g[e] || function () { (g[e].q = g[e].q || []).push(arguments); };
  g[e].t = 1 * new Date();
  g[e].c = es;
  ys = document.createElement('script'); ys.async = 1; ys.src = n; ys.charset = 'utf-8'; document.head.appendChild(ys);
})(window, 'Genesys', '${EDGE_DEFAULTS.messengerScriptPath}', { environment: 'prod', deploymentId: 'test-deployment' });
</script>`;

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#fafafa}header{display:flex;justify-content:space-between;align-items:center;padding:16px 24px;background:#12355b;color:#fff}main{padding:24px}</style>
${MESSENGER_SNIPPET}</head><body>${body}</body></html>`;

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

// What the real Messenger bootstrap would do, reduced to something a test can see: a launcher button.
const REAL_BOOTSTRAP = `(function(){var b=document.createElement('button');b.id='genesys-messenger-launcher';b.textContent='Messenger';
var add=function(){document.body.appendChild(b)};document.readyState==='loading'?document.addEventListener('DOMContentLoaded',add):add();})();`;

export interface EdgeEmulator {
  readonly url: string;
  readonly kvs: InMemoryKeyValueStore;
  /** Every request the "distribution" received, in order (path only). */
  readonly requests: string[];
  originDown: boolean;
  /** Replace a fallback file, as ops would with an S3 upload. */
  putFallbackFile(name: string, content: string): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'application/javascript; charset=utf-8',
  json: 'application/json',
};
const contentType = (name: string) =>
  CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';

export async function startEdgeEmulator(): Promise<EdgeEmulator> {
  const kvs = new InMemoryKeyValueStore({ [EDGE_DEFAULTS.flagKey]: EDGE_DEFAULTS.flagOffValue });
  const bucket = new Map(
    Object.entries(
      renderFallbackSite({
        email: SUPPORT_EMAIL,
        siteName: 'Shop.example',
        links: [
          { label: 'Track your order', href: 'https://orders.shop.example/track' },
          { label: 'Returns and refunds', href: 'https://help.shop.example/returns' },
          { label: 'Frequently asked questions', href: 'https://help.shop.example/faq' },
        ],
      }),
    ),
  );
  const edgeFunction = loadViewerRequestFunction(
    renderWidgetThrottleFunction({ stub: { email: SUPPORT_EMAIL, faqUrl: '/faq' } }),
    () => kvsHandleFrom((key) => kvs.peek(key)),
  );
  const requests: string[] = [];

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(body);
  };
  const serveFromBucket = (res: ServerResponse, path: string, status = 200): boolean => {
    const file = bucket.get(path.slice(1));
    if (file === undefined) return false;
    send(res, status, contentType(path), file);
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://edge.local');
    requests.push(url.pathname);
    const cookies = Object.fromEntries(
      (req.headers.cookie ?? '')
        .split(';')
        .map((c) => c.trim().split('='))
        .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== ''),
    );
    // Only the bootstrap path's behaviour has the function attached (as in lib/edge).
    if (url.pathname === EDGE_DEFAULTS.messengerScriptPath) {
      const result = await edgeFunction(
        viewerRequestEvent(url.pathname, { method: req.method ?? 'GET', cookies }),
      );
      if (isGeneratedResponse(result)) {
        const headers = Object.fromEntries(
          Object.entries(result.headers ?? {}).map(([k, v]) => [k, v.value]),
        );
        return send(
          res,
          result.statusCode,
          headers['content-type'] ?? 'text/plain',
          responseBodyText(result),
          headers,
        );
      }
      // The construct's response headers policy makes browsers revalidate the real script on every page
      // view (no-cache), so a flag flip reaches returning visitors at once; the revalidation is a cheap 304.
      const validator = { 'cache-control': 'no-cache', etag: '"real-bootstrap-1"' };
      if (req.headers['if-none-match'] === validator.etag) {
        res.writeHead(304, validator);
        return void res.end();
      }
      return send(res, 200, CONTENT_TYPES.js as string, REAL_BOOTSTRAP, validator);
    }
    // The fallback assets' own behaviour goes straight to the bucket.
    if (url.pathname.startsWith('/support-fallback')) {
      if (!serveFromBucket(res, url.pathname))
        send(res, 403, 'application/xml', '<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    // Default behaviour: origin group. A healthy origin answers; a failing one triggers failover to the
    // bucket, whose 403 for a missing key becomes the fallback page via the custom error response.
    if (!emulator.originDown) {
      const body = SITE[url.pathname];
      return body
        ? send(res, 200, CONTENT_TYPES.html as string, body)
        : send(res, 404, 'text/plain', 'not found');
    }
    if (serveFromBucket(res, url.pathname)) return;
    serveFromBucket(res, `/${FALLBACK_PAGE}`, 503);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, 'text/plain', String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const emulator: EdgeEmulator = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    kvs,
    requests,
    originDown: false,
    putFallbackFile: (name, content) => {
      bucket.set(name, content);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return emulator;
}
