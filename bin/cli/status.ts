// `cx-surge status [--queue Q] [--json]`: what the controller knows right now, from its table only
// (no Genesys call): per queue the last waiting/agents with their age and a degraded flag, tier states
// and overrides; actuators (desired, applied, verified, drift, lease, failures); breakers; pages.
import { readStatus } from '../../lambdas/app/operate';
import type { QueueStatus, StatusReport } from '../../lambdas/core/operator-status';
import { isInputError, parseCommandArgs, UsageError } from './io';
import { openTarget, TARGET_HELP, TARGET_OPTIONS } from './operate-target';

export const USAGE = `usage: cx-surge status [--queue Q] [--json] [where]

What the controller knows now, read from its DynamoDB table (no Genesys call): per queue the last
waiting and agents with their age ("last updated 7 minutes ago"), DEGRADED once older than
staleAfterSeconds (tiers are then held, never restored on missing data), each tier's state, since when,
why, its mode and any override in force; every actuator's desired and applied state, last read-back,
drift, lease and consecutive failures; circuit breakers; open and undelivered pages.

options:
  --queue Q             only this queue (and the actuators covering it)
  --json                the same as JSON (stable field names; docs/operate.md)
  -h, --help            show this help

${TARGET_HELP}

exit codes: 0 shown, 1 the table could not be read, 2 bad input`;

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

function renderQueue(q: QueueStatus): string[] {
  const agents =
    q.agentsAvailable === undefined
      ? '?'
      : q.agentsAvailable === null
        ? 'unknown'
        : String(q.agentsAvailable);
  const values = q.waiting === undefined ? '' : `waiting ${q.waiting}, agents available ${agents}, `;
  const lines = [
    `queue ${q.queueId}${q.name ? ` (${q.name})` : ''}: ${values}${q.updated}${q.lastObservedAt ? ` (${q.lastObservedAt})` : ''}${q.degraded ? '  DEGRADED: data older than staleAfterSeconds, tiers held' : ''}`,
  ];
  if (q.unreadable) lines.push(`  state unreadable: ${q.unreadable}`);
  for (const t of q.tiers) {
    const state = t.effective ? 'ON ' : 'off';
    lines.push(
      `  tier ${t.tier}  ${state}  ${pad(t.mode, 9)} ${t.since ? `since ${t.since}  ` : ''}${t.override ? 'OVERRIDE ' : ''}${t.reason}`,
    );
  }
  return lines;
}

export function renderStatus(report: StatusReport, where: string): string {
  const out: string[] = [`cx-surge status of ${where} at ${report.generatedAt}`, ''];
  if (report.queues.length === 0) out.push('no queues observed or configured yet', '');
  for (const q of report.queues) out.push(...renderQueue(q), '');
  out.push('actuators');
  if (report.actuators.length === 0) out.push('  none configured');
  for (const a of report.actuators) {
    const parts = [
      `desired ${a.desired}`,
      `applied ${a.applied}`,
      a.sync === 'in sync'
        ? 'in sync'
        : a.sync === 'pending'
          ? 'PENDING (switching, retried every tick)'
          : 'UNKNOWN (last switch failed)',
      a.verifiedAt ? `verified ${a.verifiedAt}` : undefined,
      a.lastDrift ? `last drift put back ${a.lastDrift.at}` : undefined,
      a.demandedBy.length > 0 ? `for ${a.demandedBy.join(', ')}` : undefined,
      a.lease
        ? `lease ${a.lease.held ? 'held' : 'expired'} by ${a.lease.owner} until ${a.lease.expiresAt}`
        : undefined,
      a.consecutiveFailures > 0 ? `${a.consecutiveFailures} consecutive failure(s)` : undefined,
      a.lastError ? `last error ${a.lastError.at}: ${a.lastError.message}` : undefined,
      a.configured ? undefined : 'not in the config (left as it is)',
    ].filter(Boolean);
    out.push(`  ${a.actuatorId}${a.tier ? ` (tier ${a.tier}, ${a.type})` : ''}: ${parts.join('; ')}`);
  }
  out.push('', 'overrides');
  if (report.overrides.length === 0) out.push('  none');
  for (const o of report.overrides) {
    out.push(
      `  ${o.queue === '*' ? '* (every queue)' : o.queue} tier ${o.tier} ${o.state} by ${o.by}${o.setAt ? ` at ${o.setAt}` : ''}, ${o.until ? (o.inForce ? `until ${o.until}` : `EXPIRED at ${o.until}`) : 'until cleared'}: ${o.reason}`,
    );
  }
  if (report.breakers) {
    out.push('', 'circuit breakers');
    if (report.breakers.length === 0) out.push('  none recorded (all closed)');
    for (const b of report.breakers)
      out.push(
        `  ${b.name}: ${b.state}${b.since ? ` since ${b.since}` : ''}${b.detail ? `; ${b.detail}` : ''}`,
      );
  }
  out.push('', `pages: ${report.openPages.length} open, ${report.undeliveredPages.length} undelivered`);
  for (const p of report.undeliveredPages.slice(0, 10)) {
    out.push(
      `  UNDELIVERED ${p.kind} ${p.action} (${p.attempts} attempt(s)${p.lastError ? `, ${p.lastError}` : ''}): ${p.summary}`,
    );
  }
  for (const p of report.openPages.slice(0, 10)) out.push(`  open ${p.at} ${p.kind}: ${p.summary}`);
  return `${out.join('\n')}\n`;
}

/** Narrows a report to one queue and the actuators covering it. */
export function forQueue(
  report: StatusReport,
  queueId: string,
  covers: (actuatorId: string) => boolean,
): StatusReport {
  return {
    ...report,
    queues: report.queues.filter((q) => q.queueId === queueId),
    actuators: report.actuators.filter((a) => covers(a.actuatorId)),
    overrides: report.overrides.filter((o) => o.queue === queueId || o.queue === '*'),
  };
}

export async function run(args: string[]): Promise<number> {
  try {
    const { values } = parseCommandArgs('status', args, {
      queue: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...TARGET_OPTIONS,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const target = await openTarget(values);
    try {
      let report = await readStatus(target.ports);
      if (values.queue !== undefined) {
        const queueId = values.queue;
        if (!report.queues.some((q) => q.queueId === queueId)) {
          throw new UsageError(
            `--queue: unknown queue '${queueId}' (known: ${report.queues.map((q) => q.queueId).join(', ') || 'none yet'})`,
          );
        }
        const { actuators } = target.ports;
        report = forQueue(report, queueId, (id) => {
          const a = actuators.find((x) => x.id === id);
          return a !== undefined && (a.queues.includes('*') || a.queues.includes(queueId));
        });
      }
      process.stdout.write(
        values.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report, target.where),
      );
      return 0;
    } finally {
      target.close();
    }
  } catch (e) {
    if (isInputError(e)) {
      process.stderr.write(`cx-surge status: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`cx-surge status: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 1;
  }
}
