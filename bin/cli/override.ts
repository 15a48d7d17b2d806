// `cx-surge override set | clear | list`: hold a tier on or off by hand, with who, why and until when;
// it takes effect at once (the affected queues are re-decided and their levers reconciled now).
import { clearOverride, type OverrideOutcome, readStatus, setOverride } from '../../lambdas/app/operate';
import { parseOverrideRequest, parseOverrideTarget } from '../../lambdas/core/override-request';
import { isInputError, parseCommandArgs, UsageError } from './io';
import { openTarget, TARGET_HELP, TARGET_OPTIONS } from './operate-target';

export const USAGE = `usage: cx-surge override set --queue Q|'*' --tier 1|2|3 --state active|inactive [--for 30m | --until ISO] --reason TEXT [where]
       cx-surge override clear --queue Q|'*' --tier 1|2|3 [where]
       cx-surge override list [--json] [where]

Holds a tier on (active) or off (inactive) for one queue or every queue ('*'), whatever the queue depth
says, until --until / --for runs out or it is cleared. A queue-specific override beats a '*' one. The
controller keeps counting underneath; on expiry or clear the automatic state applies again.
It takes effect at once: the affected queues are re-decided and their levers switched now (deployed:
one invocation of the poller; locally: at --genesys-url). Every set and clear is paged as an operator
action, with who (your AWS identity, or local:$USER) and why.

options:
  --queue Q       a queue id, or '*' for every queue
  --tier N        1, 2 or 3 (tier 4 follows the edge origin alarm)
  --state S       active or inactive
  --for D         how long: 30m, 2h, 1h30m, 1d (at most 7 days)
  --until ISO     until when, UTC, e.g. 2026-11-27T18:00:00Z (not with --for); neither: until cleared
  --reason TEXT   why (required; paged and shown in status)
  --json          print the outcome (or the list) as JSON
  -h, --help      show this help

${TARGET_HELP}

exit codes: 0 done, 1 could not write, 2 bad input (one line; nothing written)`;

function renderOutcome(o: OverrideOutcome, where: string): string {
  const v = o.override;
  const scope = v.queue === '*' ? 'every queue' : `queue ${v.queue}`;
  const lines = [
    o.action === 'set'
      ? `override set on ${where}: tier ${v.tier} held ${v.state} for ${scope} ${v.until ? `until ${v.until}` : 'until cleared'} (by ${v.by}: ${v.reason})`
      : `override cleared on ${where}: tier ${v.tier} for ${scope} follows the controller again (was ${v.state} by ${v.by}: ${v.reason})`,
  ];
  if (o.replaced) lines.push(`  replaced: ${o.replaced.state} by ${o.replaced.by}: ${o.replaced.reason}`);
  for (const p of o.pruned)
    lines.push(`  removed expired: ${p.queue} tier ${p.tier} ${p.state} (until ${p.until})`);
  lines.push(`  ${o.applied.ok ? 'applied now' : 'NOT applied now'}: ${o.applied.detail}`);
  if (o.changes.length === 0) lines.push('  levers: no change (already where the override says)');
  for (const c of o.changes) {
    lines.push(
      `  lever ${c.actuatorId}: desired ${c.desired[0]} → ${c.desired[1]}, applied ${c.applied[0]} → ${c.applied[1]}`,
    );
  }
  lines.push('  paged as an operator action (staged in the page outbox)');
  return `${lines.join('\n')}\n`;
}

export async function run(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs(
      'override',
      args,
      {
        queue: { type: 'string' },
        tier: { type: 'string' },
        state: { type: 'string' },
        for: { type: 'string' },
        until: { type: 'string' },
        reason: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...TARGET_OPTIONS,
      },
      true,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [verb, ...extra] = positionals;
    if (verb !== 'set' && verb !== 'clear' && verb !== 'list')
      throw new UsageError(`expected set, clear or list, got '${verb ?? ''}' (cx-surge override --help)`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (verb !== 'set') {
      const setOnly = (['state', 'for', 'until', 'reason'] as const).find((k) => values[k] !== undefined);
      if (setOnly) throw new UsageError(`--${setOnly} is only for override set`);
    }
    if (verb === 'list' && (values.queue !== undefined || values.tier !== undefined))
      throw new UsageError(
        'override list takes no --queue or --tier (cx-surge status --queue Q shows one queue)',
      );

    const request = {
      queue: values.queue,
      tier: values.tier,
      state: values.state,
      for: values.for,
      until: values.until,
      reason: values.reason,
    };
    // Bad input fails before anything is opened or written (and before any AWS call).
    if (verb === 'set') parseOverrideRequest(request, 'operator', Date.now());
    if (verb === 'clear') parseOverrideTarget(request);

    const target = await openTarget(values);
    try {
      if (verb === 'list') {
        const { overrides } = await readStatus(target.ports);
        if (values.json) process.stdout.write(`${JSON.stringify(overrides, null, 2)}\n`);
        else if (overrides.length === 0) process.stdout.write('no overrides\n');
        else {
          for (const o of overrides) {
            process.stdout.write(
              `${o.queue} tier ${o.tier} ${o.state} by ${o.by}${o.setAt ? ` at ${o.setAt}` : ''}, ${o.until ? (o.inForce ? `until ${o.until}` : `EXPIRED at ${o.until}`) : 'until cleared'}: ${o.reason}\n`,
            );
          }
        }
        return 0;
      }
      const by = await target.identity();
      const outcome =
        verb === 'set'
          ? await setOverride(target.ports, target.applyNow, request, by)
          : await clearOverride(
              target.ports,
              target.applyNow,
              { queue: values.queue, tier: values.tier },
              by,
            );
      process.stdout.write(
        values.json ? `${JSON.stringify(outcome, null, 2)}\n` : renderOutcome(outcome, target.where),
      );
      return 0;
    } finally {
      target.close();
    }
  } catch (e) {
    if (isInputError(e)) {
      process.stderr.write(`cx-surge override: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(
      `cx-surge override: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`,
    );
    return 1;
  }
}
