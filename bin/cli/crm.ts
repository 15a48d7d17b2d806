// `cx-surge crm lookup` and `cx-surge crm drill`: the CRM screen-pop lookup by hand, and N agents drilling it
// on the local stand-ins over simulated time (docs/crm.md).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CrmDrillResult, runCrmDrill } from '../../drill/crm/drill';
import { parseCrmFaults } from '../../drill/crm/faults';
import type { CrmFaultKind } from '../../drill/crm/stand-in';
import { silentLog, startCrmStandIns } from '../../drill/crm/stand-ins';
import {
  createCrmAdapter,
  type EndpointEvent,
  InMemoryCrmBreakers,
  InMemoryCrmSecrets,
  InMemoryCustomerCache,
  SecretsManagerCrmSecrets,
} from '../../lambdas/adapters/crm';
import { stateTable } from '../../lambdas/adapters/dynamodb/items';
import { parseClientCredentials } from '../../lambdas/adapters/secrets/client-credentials';
import { type CrmLookupResult, crmLookup } from '../../lambdas/app/crm-lookup';
import { parseCrmConfig } from '../../lambdas/core/crm/config';
import type { LookupKey } from '../../lambdas/core/crm/ports';
import { CredentialsError } from '../../lambdas/core/errors';
import { isInputError, parseCommandArgs, readText, UsageError } from './io';

export const USAGE = `usage: cx-surge crm lookup (--customer ID | --phone E164) [--config crm.json [--secrets-file FILE] [--table NAME [--endpoint-url URL]]] [--fault TARGET=KIND]… [--json]
       cx-surge crm drill [--agents N] [--faults FILE.json] [--minutes M] [--json]

lookup   one CRM screen-pop lookup, printed with the path it took (primary, cache, secondary, retries,
         token refreshes) and the answer the agent would see. Without --config it runs against the local
         stand-ins (a primary and a replica CRM on 127.0.0.1, simulated time); --fault crm-primary=5xx
         (or timeout, down, 401, 429, slow; crm-secondary too) makes that stand-in fail.
         With --config it calls your CRM: secrets from Secrets Manager (AWS credentials) or --secrets-file
         (JSON: { "<secret name>": { "clientId": …, "clientSecret": … } }); the cache is in memory unless
         --table names the state table (--endpoint-url for a local DynamoDB).
drill    N agents (default 10) look customers up every ~20 s for --minutes (default 12) of simulated time
         through the real crm-lookup handler, on the stand-ins and dynalite, with the faults of FILE (the
         drill faults format, targets crm-primary / crm-secondary; default: a primary outage 09:02–09:06).
         Prints per minute the source mix, fallback rate, cascade-guard state, calls reaching the
         secondary and p50/p99 answer time, then checks: no answer later than the budget, no stale token
         sent, secondary load falls once the guard opens.

exit codes: lookup 0 answered; drill 0 every check passed, 1 a check failed; 2 bad input`;

const FAULT_KINDS: readonly CrmFaultKind[] = ['5xx', '429', 'timeout', 'down', '401', 'slow'];

export async function run(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  try {
    if (verb === undefined || verb === '--help' || verb === '-h') {
      (verb ? process.stdout : process.stderr).write(`${USAGE}\n`);
      return verb ? 0 : 2;
    }
    if (verb === 'lookup') return await lookup(rest);
    if (verb === 'drill') return await drill(rest);
    throw new UsageError(`unknown subcommand '${verb}' (expected lookup or drill)`);
  } catch (e) {
    if (isInputError(e) || e instanceof CredentialsError) {
      process.stderr.write(`cx-surge crm: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function lookup(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('crm', args, {
    customer: { type: 'string' },
    phone: { type: 'string' },
    config: { type: 'string' },
    'secrets-file': { type: 'string' },
    table: { type: 'string' },
    'endpoint-url': { type: 'string' },
    fault: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ((values.customer === undefined) === (values.phone === undefined)) {
    throw new UsageError('give exactly one of --customer ID or --phone E164');
  }
  const key: LookupKey =
    values.customer !== undefined ? { customerId: values.customer } : { phone: values.phone ?? '' };
  const faults = (values.fault ?? []).map(parseFaultFlag);
  const events: { atMs: number; what: string }[] = [];

  let result: CrmLookupResult;
  let against: string;
  if (values.config === undefined) {
    if (values['secrets-file'] || values.table)
      throw new UsageError('--secrets-file and --table need --config');
    const crm = await startCrmStandIns();
    try {
      for (const f of faults) crm[f.target].faults.next({ kind: f.kind }, 10, { onToken: false });
      const config = crm.config();
      const started = crm.clock.now();
      const adapter = crm.adapter({
        config,
        breakers: new InMemoryCrmBreakers(config),
        onEvent: (e) => events.push({ atMs: crm.clock.now() - started, what: describeEvent(e) }),
      });
      result = await crmLookup(adapter.deps, key);
      against = 'the local stand-ins (primary + replica CRM on 127.0.0.1, simulated time)';
    } finally {
      await crm.close();
    }
  } else {
    if (faults.length > 0)
      throw new UsageError('--fault applies to the local stand-ins only (drop --config)');
    const config = parseCrmConfig(JSON.parse(await readText(values.config)) as unknown);
    const secrets = values['secrets-file']
      ? await secretsFromFile(values['secrets-file'])
      : new SecretsManagerCrmSecrets();
    const clock = { now: () => Date.now() };
    const started = clock.now();
    const table = values.table
      ? stateTable({
          client: new DynamoDBClient(values['endpoint-url'] ? { endpoint: values['endpoint-url'] } : {}),
          tableName: values.table,
          clock,
        })
      : undefined;
    const adapter = createCrmAdapter({
      config,
      clock,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      secrets,
      table: table ?? stateTable({ client: new DynamoDBClient({}), tableName: 'unused', clock }),
      breakers: new InMemoryCrmBreakers(config),
      log: silentLog,
      onEvent: (e) => events.push({ atMs: clock.now() - started, what: describeEvent(e) }),
    });
    const deps = table ? adapter.deps : { ...adapter.deps, cache: new InMemoryCustomerCache() };
    result = await crmLookup(deps, key);
    against = `${config.primary.baseUrl}${config.secondary ? ` (secondary ${config.secondary.baseUrl})` : ''}`;
  }

  if (values.json) {
    const { answer, path, trace, retries, calls, elapsedMs } = result;
    process.stdout.write(
      `${JSON.stringify({ answer, path, trace, events, retries, calls, elapsedMs }, null, 2)}\n`,
    );
    return 0;
  }
  process.stdout.write(renderLookup(key, against, result, events));
  return 0;
}

function parseFaultFlag(flag: string): { target: 'primary' | 'secondary'; kind: CrmFaultKind } {
  const [target, kind] = flag.split('=');
  if (
    (target !== 'crm-primary' && target !== 'crm-secondary') ||
    !FAULT_KINDS.includes(kind as CrmFaultKind)
  ) {
    throw new UsageError(
      `--fault ${flag}: expected crm-primary=KIND or crm-secondary=KIND, KIND one of ${FAULT_KINDS.join(', ')}`,
    );
  }
  return { target: target === 'crm-primary' ? 'primary' : 'secondary', kind: kind as CrmFaultKind };
}

async function secretsFromFile(path: string): Promise<InMemoryCrmSecrets> {
  let json: unknown;
  try {
    json = JSON.parse(await readText(path));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path}: not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(`${path}: must map secret names to { clientId, clientSecret }`);
  }
  return new InMemoryCrmSecrets(
    Object.fromEntries(
      Object.entries(json).map(([name, value]) => [name, parseClientCredentials(name, value)]),
    ),
  );
}

function describeEvent(e: EndpointEvent): string {
  if (e.type === 'token') {
    const why =
      e.reason === 'none' ? 'no token yet' : e.reason === 'forced' ? 'after a 401' : 'cached one expiring';
    return `${e.endpoint}: new access token (${why}), valid ${e.expiresInSeconds} s`;
  }
  if (e.type === 'token-failed') return `${e.endpoint}: token request failed (${e.detail})`;
  return `${e.endpoint}: HTTP ${e.status}`;
}

function renderLookup(
  key: LookupKey,
  against: string,
  r: CrmLookupResult,
  events: readonly { atMs: number; what: string }[],
): string {
  const a = r.answer;
  const lines = [
    `crm lookup of ${'customerId' in key ? `customer ${key.customerId}` : `phone ${key.phone}`} against ${against}`,
    '',
    'path',
    ...[...events.filter((e) => !e.what.includes(': HTTP ')), ...r.trace]
      .sort((x, y) => x.atMs - y.atMs)
      .map((t) => `  ${String(t.atMs).padStart(5)} ms  ${t.what}`),
    '',
    `answer: source ${a.source}, ${a.found ? 'found' : 'not found'}, ${a.readOnly ? 'read-only' : 'editable'}, in ${r.elapsedMs} ms (${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}; calls: primary ${r.calls.primary}, secondary ${r.calls.secondary})`,
    `  banner:            ${a.banner === '' ? '(none: live primary data)' : a.banner}`,
    `  dataAgeSeconds:    ${a.dataAgeSeconds}`,
  ];
  if (a.customer) {
    for (const [field, value] of Object.entries(a.customer))
      lines.push(`  ${`${field}:`.padEnd(18)} ${value}`);
  }
  if (a.orderHistory.length > 0) {
    lines.push(
      `  orderHistory:      ${a.orderHistory.map((o) => `${o.orderId} ${o.status ?? ''}`.trim()).join(', ')}`,
    );
  }
  if (a.errorStatus !== undefined) lines.push(`  errorStatus:       ${a.errorStatus}`);
  return `${lines.join('\n')}\n`;
}

async function drill(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('crm', args, {
    agents: { type: 'string' },
    faults: { type: 'string' },
    minutes: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const agents = wholeNumber('--agents', values.agents, 10, 500);
  const minutes = wholeNumber('--minutes', values.minutes, 12, 240);
  const faults = values.faults ? parseCrmFaults(await readText(values.faults), values.faults) : undefined;
  const result = await runCrmDrill({ agents, minutes, ...(faults ? { faults } : {}) });
  if (values.json) {
    const { wallMs: _wall, ...report } = result;
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(renderDrill(result));
  }
  return result.passed ? 0 : 1;
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag}: must be a whole number 1–${max}, got '${value}'`);
  return n;
}

export function renderDrill(r: CrmDrillResult): string {
  const faults = r.faults
    .map((f) => `${f.target} ${f.fault} ${f.from.slice(11, 16)}–${f.until.slice(11, 16)}`)
    .join(', ');
  const head = [
    'minute',
    'lookups',
    'primary',
    'secondary',
    'cache',
    'none',
    'fallback',
    'guard',
    '→secondary',
    'p50 ms',
    'p99 ms',
  ];
  const rows = r.minutes.map((m) => [
    m.minute,
    m.lookups,
    m.sources.primary,
    m.sources.secondary,
    m.sources.cache,
    m.sources.none,
    m.fallbackRatePercent === null ? '–' : `${m.fallbackRatePercent}%`,
    m.breaker,
    m.secondaryCalls,
    m.p50Ms,
    m.p99Ms,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells: readonly unknown[]) =>
    cells.map((c, i) => String(c).padStart(widths[i] ?? 0)).join('  ');
  const out = [
    `crm drill: ${r.agents} agents, ${r.minutes.length} simulated minutes, ${r.lookups} lookups, budget ${r.budgetMs} ms`,
    `faults: ${faults || 'none'}`,
    '',
    line(head),
    ...rows.map(line),
    '',
    'breakers',
    ...(r.breakers.length === 0
      ? ['  (no state change)']
      : r.breakers.map((b) => `  ${b.at.slice(11, 19)}  ${b.breaker}  ${b.from} → ${b.to}`)),
    '',
    'checks',
    ...r.checks.map((c) => `  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    `crm drill ${r.passed ? 'PASSED' : 'FAILED'} (${(r.wallMs / 1000).toFixed(1)} s)`,
  ];
  return `${out.join('\n')}\n`;
}
