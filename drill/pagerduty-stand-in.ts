// A local stand-in for PagerDuty's Events API v2 (POST /v2/enqueue) on 127.0.0.1, for tests and drills.
// It answers as the documented contract does — 202 { status, message, dedup_key } for a valid event, 400
// with `errors` for an invalid one, 429 when throttling — and keeps the incidents the events open and
// resolve, so a drill can prove every trigger got its resolve. Faults follow the injected clock.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../lambdas/core/ports';

export type PagerDutyFault = '5xx' | '429' | 'timeout' | 'down';

export interface StandInIncident {
  readonly dedupKey: string;
  status: 'triggered' | 'resolved';
  readonly summary: string;
  readonly severity: string;
  readonly triggeredAt: string;
  resolvedAt?: string;
  /** Trigger events merged into this incident (PagerDuty deduplicates on dedup_key). */
  triggers: number;
}

export interface StandInEvent {
  readonly at: string;
  readonly status: number;
  readonly eventAction?: string;
  readonly dedupKey?: string;
}

export interface PagerDutyStandIn {
  /** e.g. http://127.0.0.1:PORT/v2/enqueue */
  readonly url: string;
  /** Every request, in arrival order (with the status it was answered with; 0 = never answered). */
  readonly events: StandInEvent[];
  /** Incidents by dedup key. */
  readonly incidents: Map<string, StandInIncident>;
  /** Every request gets `fault` while the clock is in [from, until). */
  fail(fault: PagerDutyFault, from: number, until: number): void;
  /** The next `count` requests get `fault` (whatever the clock). */
  failNext(fault: PagerDutyFault, count: number): void;
  close(): Promise<void>;
}

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);

/** The Events v2 validation rules we rely on; returns the errors PagerDuty would list. */
export function validateEvent(body: unknown, routingKey: string | undefined): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['Event object is invalid'];
  const e = body as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length === 0)
    errors.push("'routing_key' is missing");
  else if (routingKey !== undefined && e.routing_key !== routingKey) errors.push("'routing_key' is invalid");
  if (typeof e.event_action !== 'string' || !ACTIONS.has(e.event_action)) {
    errors.push("'event_action' must be one of trigger, acknowledge, resolve");
  }
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255)) {
    errors.push("'dedup_key' must be a string of at most 255 characters");
  }
  if (e.event_action !== 'trigger' && typeof e.dedup_key !== 'string') errors.push("'dedup_key' is required");
  if (e.event_action === 'trigger') {
    const p = e.payload as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) errors.push("'payload' is missing");
    else {
      if (typeof p.summary !== 'string' || p.summary.length === 0)
        errors.push("'payload.summary' is missing");
      else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing");
      if (typeof p.severity !== 'string' || !SEVERITIES.has(p.severity)) {
        errors.push("'payload.severity' must be one of critical, error, warning, info");
      }
    }
  }
  return errors;
}

export async function startPagerDutyStandIn(options: {
  readonly clock: Clock;
  /** Accept only this routing key (400 otherwise). @default any non-empty key */
  readonly routingKey?: string;
}): Promise<PagerDutyStandIn> {
  const events: StandInEvent[] = [];
  const incidents = new Map<string, StandInIncident>();
  const windows: { fault: PagerDutyFault; from: number; until: number }[] = [];
  const counted: { fault: PagerDutyFault; left: number }[] = [];
  const hanging = new Set<ServerResponse>();
  const iso = () => new Date(options.clock.now()).toISOString();

  const faultNow = (): PagerDutyFault | undefined => {
    const now = options.clock.now();
    const w = windows.find((x) => now >= x.from && now < x.until);
    if (w) return w.fault;
    const c = counted.find((x) => x.left > 0);
    if (c) {
      c.left--;
      return c.fault;
    }
    return undefined;
  };

  const answer = (res: ServerResponse, event: StandInEvent & { status: number }, body: unknown) => {
    events.push(event);
    const text = JSON.stringify(body);
    res.writeHead(event.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = iso();
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/v2/enqueue') {
      answer(res, { at, status: 404 }, { status: 'not found', message: 'Not Found' });
      return;
    }
    const fault = faultNow();
    if (fault === 'down') {
      events.push({ at, status: 0 });
      res.socket?.destroy();
      return;
    }
    if (fault === 'timeout') {
      events.push({ at, status: 0 });
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault === '429') {
      answer(
        res,
        { at, status: 429 },
        { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' },
      );
      return;
    }
    if (fault === '5xx') {
      answer(res, { at, status: 503 }, { status: 'unavailable', message: 'Service Unavailable' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      answer(
        res,
        { at, status: 400 },
        { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid JSON'] },
      );
      return;
    }
    const errors = validateEvent(body, options.routingKey);
    if (errors.length > 0) {
      answer(
        res,
        { at, status: 400 },
        { status: 'invalid event', message: 'Event object is invalid', errors },
      );
      return;
    }
    const e = body as {
      event_action: string;
      dedup_key?: string;
      payload?: { summary: string; severity: string };
    };
    const dedupKey = e.dedup_key ?? randomUUID().replaceAll('-', '');
    const incident = incidents.get(dedupKey);
    if (e.event_action === 'trigger') {
      if (incident && incident.status === 'triggered') incident.triggers++;
      else {
        incidents.set(dedupKey, {
          dedupKey,
          status: 'triggered',
          summary: e.payload?.summary ?? '',
          severity: e.payload?.severity ?? '',
          triggeredAt: at,
          triggers: 1,
        });
      }
    } else if (e.event_action === 'resolve' && incident && incident.status === 'triggered') {
      incident.status = 'resolved';
      incident.resolvedAt = at;
    }
    answer(
      res,
      { at, status: 202, eventAction: e.event_action, dedupKey },
      { status: 'success', message: 'Event processed', dedup_key: dedupKey },
    );
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    events,
    incidents,
    fail: (fault, from, until) => windows.push({ fault, from, until }),
    failNext: (fault, count) => counted.push({ fault, left: count }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
