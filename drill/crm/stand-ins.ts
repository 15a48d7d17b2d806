// Both CRM stand-ins, dynalite and a lookup wired to them, on one simulated clock: what tests, the
// `cx-surge crm` commands and the bench start. Loopback only.
import { type CrmAdapter, createCrmAdapter, InMemoryCrmSecrets } from '../../lambdas/adapters/crm';
import { DynamoCrmIncidents } from '../../lambdas/adapters/crm/dynamo-incidents';
import { fetchTransport } from '../../lambdas/adapters/crm/http';
import type { EndpointEvent } from '../../lambdas/adapters/crm/rest-crm';
import { SharedCrmBreakers } from '../../lambdas/adapters/crm/shared-breakers';
import { DynamoBreakerStore } from '../../lambdas/adapters/dynamodb/breaker-store';
import { stateTable } from '../../lambdas/adapters/dynamodb/items';
import { DynamoPageOutbox } from '../../lambdas/adapters/dynamodb/page-outbox';
import { SharedBreakers } from '../../lambdas/app/breaker';
import type { CrmIncidents } from '../../lambdas/app/crm-lookup';
import { probeCrm } from '../../lambdas/app/crm-prober';
import type { AppLogger } from '../../lambdas/app/deps';
import type { BreakerTransition } from '../../lambdas/core/circuit-breaker';
import { cascadePolicy, secondaryPolicy } from '../../lambdas/core/crm/cascade';
import { type CrmConfig, parseCrmConfig } from '../../lambdas/core/crm/config';
import type { CrmBreakers } from '../../lambdas/core/crm/ports';
import type { CrmLookupRuntime } from '../../lambdas/handlers/crm-lookup-handler';
import { type LocalDynamo, startLocalDynamo } from '../local-dynamo';
import { SimulatedClock } from '../simulated-clock';
import type { SeedCustomer } from './customers';
import { simulatedTransport } from './simulated-transport';
import { type CrmStandIn, STAND_IN_CLIENTS, startCrmStandIn } from './stand-in';

export const STAND_IN_SECRETS = {
  primary: 'cx-surge/crm-primary-client',
  secondary: 'cx-surge/crm-replica-client',
} as const;

/** The CRM config that points at the stand-ins (a deep-merge of `overrides` on top). */
export function standInCrmConfig(
  primaryUrl: string,
  secondaryUrl: string,
  overrides: Record<string, unknown> = {},
): CrmConfig {
  const { primary, secondary, ...rest } = overrides as { primary?: object; secondary?: object };
  return parseCrmConfig({
    ...rest,
    primary: {
      baseUrl: primaryUrl,
      tokenUrl: `${primaryUrl}/oauth/token`,
      credentialsSecret: STAND_IN_SECRETS.primary,
      ...primary,
    },
    secondary: {
      baseUrl: secondaryUrl,
      tokenUrl: `${secondaryUrl}/oauth/token`,
      credentialsSecret: STAND_IN_SECRETS.secondary,
      ...secondary,
    },
  });
}

export const standInSecrets = (): InMemoryCrmSecrets =>
  new InMemoryCrmSecrets({
    [STAND_IN_SECRETS.primary]: STAND_IN_CLIENTS.primary,
    [STAND_IN_SECRETS.secondary]: STAND_IN_CLIENTS.secondary,
  });

/** The clock the stand-ins and the lookup share: simulated (drills, tests) or the wall clock. */
export interface DrillClock {
  now(): number;
  advance(ms: number): void;
  sleep(ms: number): Promise<void>;
}

/** The wall clock, for `latency: 'real'` (the stand-ins really wait, timeouts are real). */
export const wallClock: DrillClock = {
  now: () => Date.now(),
  advance: () => {},
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface CrmStandInsOptions {
  /** @default a simulated clock at 2026-11-27T09:00:00Z */
  readonly clock?: DrillClock;
  /** 'simulated': latencies and timeouts cost simulated time; 'real': the stand-ins really wait. @default 'simulated' */
  readonly latency?: 'simulated' | 'real';
  readonly customers?: readonly SeedCustomer[];
  readonly primaryTokenTtlSeconds?: number;
  readonly secondaryTokenTtlSeconds?: number;
  /** Reuse a running dynalite (a fresh table is created on it). */
  readonly dynamo?: LocalDynamo;
}

export interface CrmStandIns {
  readonly clock: DrillClock;
  readonly primary: CrmStandIn;
  readonly secondary: CrmStandIn;
  readonly dynamo: LocalDynamo;
  readonly tableName: string;
  /** A lookup's dependencies over the stand-ins (its own tokens; shares the cache table). */
  adapter(options: {
    config?: CrmConfig;
    configOverrides?: Record<string, unknown>;
    breakers: CrmBreakers;
    log?: AppLogger;
    incidents?: CrmIncidents;
    onEvent?: (event: EndpointEvent) => void;
  }): CrmAdapter;
  /**
   * What the crm-lookup Lambda builds in AWS, on the stand-ins: shared breakers in the table (the
   * cascade guard), refusal counting with staged pages, the prober. `transitions` records every
   * breaker change this runtime made.
   */
  runtime(options?: { config?: CrmConfig; log?: AppLogger; random?: () => number }): StandInRuntime;
  config(overrides?: Record<string, unknown>): CrmConfig;
  close(): Promise<void>;
}

export interface StandInRuntime extends CrmLookupRuntime {
  readonly breakers: SharedBreakers;
  readonly adapter: CrmAdapter;
  readonly outbox: DynamoPageOutbox;
  readonly transitions: { readonly breaker: string; readonly transition: BreakerTransition }[];
}

export const silentLog: AppLogger = { info() {}, warn() {}, error() {} };

export async function startCrmStandIns(options: CrmStandInsOptions = {}): Promise<CrmStandIns> {
  const clock: DrillClock = options.clock ?? new SimulatedClock(Date.parse('2026-11-27T09:00:00Z'));
  const latency = options.latency ?? 'simulated';
  const common = { clock, latency, ...(options.customers ? { customers: options.customers } : {}) };
  const primary = await startCrmStandIn({
    ...common,
    kind: 'primary',
    ...(options.primaryTokenTtlSeconds ? { tokenTtlSeconds: options.primaryTokenTtlSeconds } : {}),
  });
  const secondary = await startCrmStandIn({
    ...common,
    kind: 'secondary',
    ...(options.secondaryTokenTtlSeconds ? { tokenTtlSeconds: options.secondaryTokenTtlSeconds } : {}),
  });
  const ownDynamo = options.dynamo === undefined;
  const dynamo = options.dynamo ?? (await startLocalDynamo());
  const tableName = ownDynamo ? dynamo.tableName : await dynamo.createTable();
  const table = stateTable({ client: dynamo.client, tableName, clock });
  const transport =
    latency === 'simulated' ? simulatedTransport({ advance: (ms) => clock.advance(ms) }) : fetchTransport;
  const config = (overrides: Record<string, unknown> = {}): CrmConfig =>
    standInCrmConfig(primary.url, secondary.url, overrides);
  const adapterFor = (o: Parameters<CrmStandIns['adapter']>[0]): CrmAdapter =>
    createCrmAdapter({
      config: o.config ?? config(o.configOverrides),
      clock,
      sleep: (ms) => clock.sleep(ms),
      secrets: standInSecrets(),
      table,
      breakers: o.breakers,
      log: o.log ?? silentLog,
      transport,
      ...(o.incidents ? { incidents: o.incidents } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    });
  let owners = 0;
  return {
    clock,
    primary,
    secondary,
    dynamo,
    tableName,
    config,
    runtime: (o = {}) => {
      const crmConfig = o.config ?? config();
      const log = o.log ?? silentLog;
      const outbox = new DynamoPageOutbox(table);
      const transitions: StandInRuntime['transitions'] = [];
      const owner = `stand-in-${++owners}`;
      const breakers = new SharedBreakers({
        store: new DynamoBreakerStore(table),
        clock,
        pages: { stage: (page) => outbox.recordNew(page, clock.now()) },
        log,
        owner: () => owner,
        ...(o.random ? { random: o.random } : {}),
        policies: { 'crm-primary': cascadePolicy(crmConfig), 'crm-secondary': secondaryPolicy(crmConfig) },
        onTransition: (breaker, transition) => transitions.push({ breaker, transition }),
      });
      const adapter = adapterFor({
        config: crmConfig,
        breakers: new SharedCrmBreakers(breakers),
        log,
        incidents: new DynamoCrmIncidents({
          table,
          outbox,
          threshold: crmConfig.clientErrorPageThreshold,
          windowSeconds: crmConfig.clientErrorWindowSeconds,
        }),
      });
      return {
        lookup: adapter.deps,
        adapter,
        breakers,
        outbox,
        transitions,
        probe: () =>
          probeCrm(breakers, {
            primary: (ms) => adapter.primary.probe(ms),
            secondary: (ms) => adapter.secondary?.probe(ms) ?? Promise.resolve(false),
            primaryTimeoutMs: crmConfig.primary.callTimeoutMs,
            secondaryTimeoutMs: crmConfig.secondary?.callTimeoutMs ?? 1000,
          }),
      };
    },
    adapter: adapterFor,
    close: async () => {
      await Promise.all([primary.close(), secondary.close()]);
      if (ownDynamo) await dynamo.stop();
    },
  };
}
