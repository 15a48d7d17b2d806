// Deterministic scenario traces for the benchmarks: `queues` queues, one observation per queue per
// minute, a random-walk depth with a surge on a third of the queues every 10 hours.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { SCENARIO_COLUMNS } from '../../drill/scenario';
import type { QueueObservation } from '../../lambdas/core/observation';
import { isoInstant } from '../../lambdas/core/time';

export function* traceObservations(total: number, queues = 100): Generator<QueueObservation> {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const depth = new Array<number>(queues).fill(20);
  const ids = Array.from({ length: queues }, (_, q) => `queue-${String(q).padStart(3, '0')}`);
  const start = Date.parse('2026-01-01T00:00:00Z');
  let at = '';
  for (let i = 0; i < total; i++) {
    const q = i % queues;
    const minute = Math.floor(i / queues);
    if (q === 0) at = isoInstant(start + minute * 60_000);
    const surge = minute % 600 > 400 && q % 3 === 0 ? 4 : 0;
    depth[q] = Math.max(
      0,
      Math.min(900, (depth[q] as number) + Math.round((rand() - 0.5) * 20) + surge - (surge ? 0 : 1)),
    );
    yield {
      queueId: ids[q] as string,
      observedAt: at,
      waiting: depth[q] as number,
      agentsAvailable: rand() < 0.05 ? null : Math.floor(rand() * 12),
    };
  }
}

/** Writes a trace of `total` lines to `path` as scenario CSV, a few MiB at a time. */
export async function writeTrace(path: string, total: number, queues = 100): Promise<number> {
  const out = createWriteStream(path);
  let batch = `# generated: ${total} observations, ${queues} queues\n${SCENARIO_COLUMNS.join(',')}\n`;
  let bytes = 0;
  for (const o of traceObservations(total, queues)) {
    batch += `${o.observedAt},${o.queueId},${o.waiting},${o.agentsAvailable ?? ''}\n`;
    if (batch.length > 4 << 20) {
      bytes += batch.length;
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  bytes += batch.length;
  out.end(batch);
  await once(out, 'finish');
  return bytes;
}
