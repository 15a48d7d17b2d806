// CRM screen-pop figures: lookup p50/p99 on the stand-ins (healthy, primary outage before and after the
// cascade guard opens), in wall-clock ms on this machine (loopback HTTP + dynalite + our code) and in
// simulated ms (what the agent waits given the stand-ins' latencies: 40 ms primary, 25 ms replica);
// and the crm-lookup bundle: bytes, and proof that no Genesys SDK is inside.
import { build } from 'esbuild';
import { seedCustomerId } from '../drill/crm/customers';
import { type CrmStandIns, startCrmStandIns } from '../drill/crm/stand-ins';
import { InMemoryCrmBreakers } from '../lambdas/adapters/crm';
import type { CrmLookupDeps } from '../lambdas/app/crm-lookup';
import { crmLookup } from '../lambdas/app/crm-lookup';
import { LAMBDA_ESBUILD_OPTIONS } from '../lib/controller-function';
import { CRM_LOOKUP_ENTRY } from '../lib/crm-lookup';

const LOOKUPS = 60;
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

async function measure(
  label: string,
  crm: CrmStandIns,
  deps: CrmLookupDeps,
  firstCustomer: number,
): Promise<void> {
  const wall: number[] = [];
  const simulated: number[] = [];
  const sources = new Map<string, number>();
  for (let i = 0; i < LOOKUPS; i++) {
    const started = performance.now();
    const r = await crmLookup(deps, { customerId: seedCustomerId(firstCustomer + (i % 40)) });
    wall.push(performance.now() - started);
    simulated.push(r.elapsedMs);
    sources.set(r.answer.source, (sources.get(r.answer.source) ?? 0) + 1);
    crm.clock.advance(500);
  }
  wall.sort((a, b) => a - b);
  simulated.sort((a, b) => a - b);
  const mix = [...sources].map(([s, n]) => `${s} ${n}`).join(', ');
  console.log(
    `${label.padEnd(34)} wall p50 ${pct(wall, 50).toFixed(1).padStart(6)} ms  p99 ${pct(wall, 99).toFixed(1).padStart(6)} ms | simulated p50 ${String(pct(simulated, 50)).padStart(4)} ms  p99 ${String(pct(simulated, 99)).padStart(4)} ms | ${mix}`,
  );
}

export async function run(): Promise<void> {
  const crm = await startCrmStandIns();
  try {
    console.log(`crm lookup, ${LOOKUPS} lookups per row (stand-ins + dynalite on loopback):`);
    const healthy = crm.runtime();
    await measure('healthy (primary)', crm, healthy.lookup, 1);

    // A guard that cannot trip, to see the fallback path itself: primary 5xx, then cache or replica.
    const config = crm.config({ cascade: { minimumLookups: 1_000_000 } });
    const noGuard = crm.adapter({ config, breakers: new InMemoryCrmBreakers(config) });
    crm.primary.faults.window({ kind: '5xx' }, crm.clock.now(), crm.clock.now() + 3_600_000);
    crm.clock.advance(301_000); // cached records are no longer fresh: the replica answers
    await measure('primary outage, guard closed', crm, noGuard.deps, 1);

    // The real runtime: the guard opens within a few lookups; then no endpoint is called.
    const guarded = crm.runtime();
    await measure('primary outage, guard opening', crm, guarded.lookup, 41);
  } finally {
    await crm.close();
  }

  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    entryPoints: [CRM_LOOKUP_ENTRY],
    write: false,
    metafile: true,
  });
  const bytes = result.outputFiles?.[0]?.contents.length ?? 0;
  const genesys = Object.keys(result.metafile?.inputs ?? {}).filter((f) =>
    f.includes('purecloud-platform-client'),
  );
  console.log(
    `crm-lookup bundle: ${(bytes / 1024).toFixed(0)} KB (target ≤ 300 KB), Genesys SDK modules inside: ${genesys.length}`,
  );
}
