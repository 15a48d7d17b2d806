// Circuit breaker figures: a 10-minute Genesys outage at 100 queues, on the stand-ins (dynalite, the
// Genesys emulator, simulated time). 100 queues, one lever each, all wanted on when Genesys goes down
// (503 on every call); the poller ticks every minute. Counted: calls that reached Genesys during the
// outage, with the shared `genesys` breaker and without; and the time from recovery to closed.
// Prints numbers; asserts nothing.
import { SURGE_CONTROL_TABLE } from '../drill/genesys-emulator';
import { SimulatedClock } from '../drill/simulated-clock';
import { startStandIns } from '../drill/stand-ins';
import { pollTick } from '../lambdas/app/poll-tick';
import { RecordingTelemetry } from '../lambdas/app/telemetry';
import { type Actuator, parseConfig } from '../lambdas/core/config';

const QUEUES = 100;
const OUTAGE_MS = 10 * 60_000;
const TICK_MS = 60_000;
const T0 = Date.parse('2026-11-27T09:00:00Z');

interface Outcome {
  readonly outageCalls: number;
  readonly recoveryToClosedMs: number | undefined;
  readonly allSwitchedAfterMs: number | undefined;
  readonly wallMs: number;
}

async function outage(breakers: boolean): Promise<Outcome> {
  const started = Date.now();
  const queues = Array.from({ length: QUEUES }, (_, i) => `q${String(i + 1).padStart(3, '0')}`);
  const actuators: Actuator[] = queues.map((q) => ({
    id: `lever-${q}`,
    tier: 1,
    type: 'datatable-row',
    queues: [q],
    datatableId: SURGE_CONTROL_TABLE,
    rowId: q,
    field: 'SurgeActive',
    activeValue: true,
    inactiveValue: false,
  }));
  const config = parseConfig({ queues: queues.map((id) => ({ id })), actuators });
  const clock = new SimulatedClock(T0);
  const standIns = await startStandIns({
    config,
    actuators,
    clock,
    telemetry: new RecordingTelemetry(),
    breakers,
  });
  try {
    for (const a of actuators)
      await standIns.deps.actuatorStore.setDemand(a.id, a.queues[0] as string, true, T0);
    standIns.emulator.faults.until({ path: '*' }, { kind: 'status', status: 503 }, T0 + OUTAGE_MS);

    let outageCalls = 0;
    let closedAt: number | undefined;
    let settledAt: number | undefined;
    for (let t = T0; t <= T0 + OUTAGE_MS + 10 * TICK_MS; t += TICK_MS) {
      clock.set(Math.max(clock.now(), t)); // retries may have run the simulated clock past the tick
      const before = standIns.emulator.requests().length; // logins count: they reach Genesys too
      await pollTick(standIns.deps, { queueIds: queues });
      standIns.bus.drain();
      const after = standIns.emulator.requests().length;
      if (t < T0 + OUTAGE_MS) outageCalls += after - before;
      if (t >= T0 + OUTAGE_MS) {
        if (closedAt === undefined && breakers) {
          const closed = standIns.breakerLog.find((b) => b.transition.to === 'closed');
          if (closed) closedAt = closed.transition.at;
        }
        const records = await standIns.deps.actuatorStore.list();
        if (settledAt === undefined && records.every((r) => r.applied === 'active')) settledAt = t;
      }
      if (settledAt !== undefined && (!breakers || closedAt !== undefined)) break;
    }
    return {
      outageCalls,
      recoveryToClosedMs: closedAt === undefined ? undefined : closedAt - (T0 + OUTAGE_MS),
      allSwitchedAfterMs: settledAt === undefined ? undefined : settledAt - (T0 + OUTAGE_MS),
      wallMs: Date.now() - started,
    };
  } finally {
    await standIns.stop();
  }
}

export async function run(): Promise<void> {
  const without = await outage(false);
  const withBreaker = await outage(true);
  const s = (ms: number | undefined) => (ms === undefined ? 'never' : `${Math.round(ms / 1000)} s`);
  console.log(
    `10-minute Genesys outage (503), ${QUEUES} queues, ${QUEUES} levers wanted on, poller every 60 s:`,
  );
  console.log(`  Genesys calls during the outage without breaker: ${without.outageCalls}`);
  console.log(`  Genesys calls during the outage with breaker:    ${withBreaker.outageCalls}`);
  console.log(
    `  fewer calls:                                     ${(without.outageCalls / Math.max(1, withBreaker.outageCalls)).toFixed(0)}x`,
  );
  console.log(`  recovery → breaker closed:                       ${s(withBreaker.recoveryToClosedMs)}`);
  console.log(
    `  recovery → all ${QUEUES} levers switched:        with ${s(withBreaker.allSwitchedAfterMs)}, without ${s(without.allSwitchedAfterMs)}`,
  );
  console.log(`  (wall: ${withBreaker.wallMs} ms with, ${without.wallMs} ms without)`);
}
