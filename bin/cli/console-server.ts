// The supervisors' console: a local web page on 127.0.0.1 (node:http, no framework) with the status
// table and one-click overrides. It writes with the operator's own AWS credentials, so no other web page
// may drive it:
//   - Host must be 127.0.0.1:<port> or localhost:<port> on every request (DNS rebinding: a hostile name
//     resolving to 127.0.0.1 still sends its own name in Host);
//   - every API call carries the per-run secret token (X-Surge-Token header; the page reads it from the
//     URL the CLI printed), compared in constant time; a custom header also forces a CORS preflight,
//     which this server never approves;
//   - a POST must come from our own Origin (CSRF), with a JSON body;
//   - the page cannot be framed (clickjacking), loads nothing from elsewhere (CSP), leaks no Referer.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ApplyNow,
  clearOverride,
  type OperatorPorts,
  type OverrideOutcome,
  readStatus,
  setOverride,
} from '../../lambdas/app/operate';
import { ConfigError } from '../../lambdas/core/errors';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from './console-page';

export interface ConsoleOptions {
  readonly ports: OperatorPorts;
  readonly applyNow: ApplyNow;
  readonly identity: () => Promise<string>;
  readonly where: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default a fresh random token */
  readonly token?: string;
}

export interface ConsoleServer {
  /** The URL to open, token included. */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  close(): Promise<void>;
}

/** One entry of "what each click changed", newest first in the page. */
interface ActionRecord {
  readonly at: string;
  readonly by: string;
  readonly outcome: OverrideOutcome;
}

const MAX_BODY_BYTES = 16 * 1024;

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
const refuse = (res: ServerResponse, status: number, why: string) => json(res, status, { error: why });

function sameToken(given: string | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ConfigError('body', 'too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ConfigError('body', 'must be JSON');
  }
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const actions: ActionRecord[] = [];
  let allowedHosts: Set<string> = new Set();
  let allowedOrigins: Set<string> = new Set();
  let origin = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!allowedHosts.has(req.headers.host ?? '')) return refuse(res, 421, 'unexpected Host header');
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'GET' && url.pathname === '/') {
      if (!sameToken(url.searchParams.get('token') ?? undefined, token))
        return send(
          res,
          403,
          'text/plain; charset=utf-8',
          'Open the URL that cx-surge console printed (it carries the token).\n',
        );
      return send(res, 200, 'text/html; charset=utf-8', CONSOLE_HTML);
    }
    if (req.method === 'GET' && url.pathname === '/console.js')
      return send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS);
    if (req.method === 'GET' && url.pathname === '/console.css')
      return send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS);

    if (!url.pathname.startsWith('/api/')) return refuse(res, 404, 'not found');
    const given = req.headers['x-surge-token'];
    if (!sameToken(Array.isArray(given) ? given[0] : given, token))
      return refuse(res, 403, 'missing or wrong token');

    if (req.method === 'GET' && url.pathname === '/api/status') {
      const status = await readStatus(options.ports);
      return json(res, 200, { where: options.where, status, actions });
    }
    if (req.method === 'POST' && url.pathname === '/api/override') {
      // Browsers always send Origin on a POST; a page elsewhere cannot forge ours.
      if (req.headers.origin !== undefined && !allowedOrigins.has(req.headers.origin))
        return refuse(res, 403, 'cross-origin request refused');
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
        return refuse(res, 415, 'send JSON');
      try {
        const body = (await readJson(req)) as Record<string, unknown>;
        const by = await options.identity();
        const action = text(body.action);
        const target = { queue: text(body.queue), tier: text(body.tier) };
        let outcome: OverrideOutcome;
        if (action === 'set') {
          const request = {
            ...target,
            state: text(body.state),
            reason: text(body.reason),
            ...(text(body.for) ? { for: text(body.for) } : {}),
            ...(text(body.until) ? { until: text(body.until) } : {}),
          };
          outcome = await setOverride(options.ports, options.applyNow, request, by);
        } else if (action === 'clear') {
          outcome = await clearOverride(options.ports, options.applyNow, target, by);
        } else {
          throw new ConfigError('action', "must be 'set' or 'clear'");
        }
        actions.unshift({ at: new Date(options.ports.clock.now()).toISOString(), by, outcome });
        return json(res, 200, { outcome });
      } catch (e) {
        if (e instanceof ConfigError) return refuse(res, 400, e.message);
        throw e;
      }
    }
    return refuse(res, 404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) refuse(res, 500, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
