import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import type { InMemoryKeyValueStore } from '../lambdas/adapters/cloudfront-kvs';
import { createDynamoPersistence } from '../lambdas/adapters/dynamodb';
import { OUTBOX_CLAIM_MS } from '../lambdas/adapters/dynamodb/page-outbox';
import { createGenesys } from '../lambdas/adapters/genesys';
import { LocalOutboxPager } from '../lambdas/adapters/local';
import { PagerDutyEventsClient } from '../lambdas/adapters/pagerduty/events-v2';
import { OBSERVATION_BATCH_EVENT } from '../lambdas/adapters/telemetry-names';
import { SharedBreakers } from '../lambdas/app/breaker';
import type { PollerDeps } from '../lambdas/app/deps';
import { guardObservations, guardSwitch, StagingPager } from '../lambdas/app/resilience';
import { PageSender, type SendReport } from '../lambdas/app/send-pages';
import { notifyOnlySwitch, SwitchRouter } from '../lambdas/app/switch-router';
import type { Telemetry } from '../lambdas/app/telemetry';
import type { BreakerTransition } from '../lambdas/core/circuit-breaker';
import type { Actuator, SurgeConfig } from '../lambdas/core/config';
import { ConfigError } from '../lambdas/core/errors';
import type { QueueObservation } from '../lambdas/core/observation';
import {
  type ClientCredentials,
  type CredentialsSource,
  type ObservationPublisher,
  type Page,
  type Pager,
  type PublishOptions,
  shardChunks,
} from '../lambdas/core/ports';
import type { SendPagesDeps } from '../lambdas/handlers/send-pages-handler';
import { type DrillEdge, startDrillEdge } from './edge/drill-edge';
import { FaultInjector, type FaultSchedule } from './faults';
import { DEFAULT_EMULATOR_CLIENTS, type GenesysEmulator, startGenesysEmulator } from './genesys-emulator';
import { type LocalDynamo, startLocalDynamo } from './local-dynamo';
import { type PagerDutyStandIn, startPagerDutyStandIn } from './pagerduty-stand-in';
import type { SimulatedClock } from './simulated-clock';

// The embedded default: everything the controller talks to, on loopback or in memory, on simulated time.
//   DynamoDB        → dynalite on 127.0.0.1 (real conditional-write semantics)
//   Genesys Cloud   → our emulator on 127.0.0.1 (real SDK calls, OAuth, rate limits, faults)
//   Secrets Manager → the emulator's test clients, in memory
//   SNS             → a local outbox (and optionally a JSON-lines file)
//   EventBridge     → an in-memory bus the drill drains into the evaluate handler
//   CloudFront KVS  → a loopback stand-in of its data-plane API, switched through the real adapter
//   CloudFront      → with an edge actuator or an origin fault: the real CloudFront Function, an origin
//                     and the fallback site on 127.0.0.1, and the origin alarm (drill/edge)

/** The routing key the drill's PagerDuty stand-in accepts (a made-up key: drills never reach PagerDuty). */
export const DRILL_ROUTING_KEY = 'DRILL0000000000000000000000000000';

export type ObservationEvent = EventBridgeEvent<
  typeof OBSERVATION_BATCH_EVENT.detailType,
  { readonly shardId?: string; readonly observations: readonly QueueObservation[] }
>;

/**
 * Collects what the poller publishes as the EventBridge events the evaluate rule would deliver: one
 * `QueueObservations` event per chunk of ≤ 100 queues, as the EventBridge publisher sends them.
 */
export class InMemoryObservationBus implements ObservationPublisher {
  private pending: ObservationEvent[] = [];
  /** Events published since the bus was made (the bench counts them). */
  published = 0;
  async publish(observations: readonly QueueObservation[], options: PublishOptions = {}): Promise<void> {
    for (const chunk of shardChunks(observations, options.shardOf)) {
      this.published++;
      this.pending.push({
        version: '0',
        id: randomUUID(),
        'detail-type': OBSERVATION_BATCH_EVENT.detailType,
        source: OBSERVATION_BATCH_EVENT.source,
        account: '000000000000',
        time: chunk.observations[0]?.observedAt ?? '',
        region: 'local',
        resources: [],
        detail: chunk,
      });
    }
  }
  drain(): ObservationEvent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** Keeps every page the transport delivered (as the domain Page) and forwards it to the local outbox. */
export class RecordingTransport implements Pager {
  readonly delivered: Page[] = [];
  constructor(readonly outbox: LocalOutboxPager) {}
  async send(page: Page): Promise<void> {
    await this.outbox.send(page);
    this.delivered.push(page);
  }
}

type SeedFieldType = 'string' | 'boolean' | 'integer' | 'number';

/** The data-table column type a lever's values need (integers widen to number if either is fractional). */
function fieldTypeOf(
  active: string | number | boolean,
  inactive: string | number | boolean,
): SeedFieldType | undefined {
  const kind = (v: unknown) => (typeof v === 'number' ? 'number' : typeof v);
  if (kind(active) !== kind(inactive)) return undefined;
  if (typeof active === 'number')
    return Number.isInteger(active) && Number.isInteger(inactive) ? 'integer' : 'number';
  return typeof active as 'string' | 'boolean';
}

/**
 * Seeds the emulator with every Genesys target the actuators name, in their inactive state: the data
 * tables (created, or given the columns they lack), their rows, emergency groups and flows — so the
 * drill switches whatever the config names. A config the emulator cannot hold fails with a
 * ConfigError naming the actuator's field (the CLI prints it and exits 2), before anything runs.
 */
export function seedTargets(emulator: GenesysEmulator, actuators: readonly Actuator[]): void {
  actuators.forEach((a, i) => {
    if (a.type === 'datatable-row') {
      const type = fieldTypeOf(a.activeValue, a.inactiveValue);
      if (!type) {
        throw new ConfigError(
          `actuators.${i}.inactiveValue`,
          `must be of the same type as activeValue (${typeof a.activeValue}): one data-table column holds both`,
        );
      }
      try {
        emulator.ensureDatatable(a.datatableId, { [a.field]: type });
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        throw new ConfigError(`actuators.${i}.field`, `the drill cannot seed it: ${e.message}`);
      }
      const row = emulator.hasRow(a.datatableId, a.rowId)
        ? emulator.readRow(a.datatableId, a.rowId)
        : { key: a.rowId };
      emulator.seedRow(a.datatableId, { ...row, key: a.rowId, [a.field]: a.inactiveValue });
    } else if (a.type === 'emergency-group') {
      emulator.seedEmergencyGroup({ id: a.groupId, name: `${a.id} (drill)`, enabled: false });
    } else if (a.type === 'flow-publish') {
      emulator.seedFlow({
        id: a.flowId,
        name: `${a.id} (drill)`,
        versions: [...new Set([a.normalVersion, a.surgeVersion])],
        publishedVersion: a.normalVersion,
      });
    }
  });
}

export interface StandIns {
  readonly dynamo: LocalDynamo;
  readonly emulator: GenesysEmulator;
  readonly bus: InMemoryObservationBus;
  readonly transport: RecordingTransport;
  /** The KeyValueStore the cloudfront-kvs actuators switch and the edge function reads. */
  readonly kvs: { readonly keyValueStore: InMemoryKeyValueStore };
  readonly edge: DrillEdge;
  readonly deps: PollerDeps;
  /** The drill's faults on simulated time; each stand-in registers the applier of its own target. */
  readonly faults: FaultInjector;
  /** PagerDuty Events API v2 stand-in: the incidents every trigger opened and every resolve closed. */
  readonly pagerDuty: PagerDutyStandIn;
  /** Breaker state changes, in order, with how many Genesys requests the emulator had seen by then. */
  readonly breakerLog: {
    readonly breaker: string;
    readonly transition: BreakerTransition;
    readonly requestsSeen: number;
  }[];
  /** The page sender's run after a tick: what the table's stream and the 1-minute sweep would deliver. */
  deliverPages(): Promise<SendReport>;
  /** The send-pages Lambda's deps on the stand-ins (bench cost runs its 1-minute sweep as AWS would). */
  readonly sendPagesDeps: SendPagesDeps;
  /** Pages still waiting in the outbox, and dead-lettered ones. */
  pageBacklog(): Promise<{ pending: number; dead: number }>;
  stop(): Promise<void>;
}

export interface StandInOptions {
  readonly config: SurgeConfig;
  readonly actuators: readonly Actuator[];
  readonly clock: SimulatedClock;
  readonly telemetry: Telemetry;
  /** Append delivered pages here as JSON lines (what SNS would have carried). */
  readonly outboxFile?: string;
  /** Real ms per Genesys call before it counts as a timeout. @default 3000 */
  readonly callTimeoutMs?: number;
  /** Where Genesys OAuth client credentials come from. @default the emulator's test clients, in memory */
  readonly credentials?: CredentialsSource;
  /** Faults to apply on simulated time (README "Drill faults"). @default none */
  readonly faults?: FaultSchedule;
  /** false: Genesys calls run without the shared breakers and no prober (the bench's baseline). @default true */
  readonly breakers?: boolean;
}

export async function startStandIns(options: StandInOptions): Promise<StandIns> {
  const { config, actuators, clock, telemetry } = options;
  const dynamo = await startLocalDynamo();
  const emulator = await startGenesysEmulator({ clock });
  const pagerDuty = await startPagerDutyStandIn({ clock, routingKey: DRILL_ROUTING_KEY });
  let edge: DrillEdge | undefined;
  try {
    // The emulator's data table may not be the one the actuators name: seed whatever they switch.
    seedTargets(emulator, actuators);
    const clients: Record<'primary' | 'breakGlass', ClientCredentials> = DEFAULT_EMULATOR_CLIENTS;
    const credentials: CredentialsSource = options.credentials ?? { get: async (which) => clients[which] };
    const genesys = createGenesys({
      credentials,
      clock,
      gateway: emulator.url,
      sleep: clock.sleep,
      ...(options.callTimeoutMs ? { callTimeoutMs: options.callTimeoutMs } : {}),
    });
    const persistence = createDynamoPersistence({
      client: dynamo.client,
      tableName: dynamo.tableName,
      clock,
      queues: { sleep: clock.sleep }, // BatchGetItem's backoff on simulated time
    });
    const transport = new RecordingTransport(
      new LocalOutboxPager(options.outboxFile ? { file: options.outboxFile } : {}),
    );
    const faults = new FaultInjector(options.faults);
    edge = await startDrillEdge({
      startMs: clock.now(),
      faults,
      withSite: drillsTheEdge(actuators, options.faults),
      sleep: clock.sleep,
      clock,
      initialFlags: Object.fromEntries(
        actuators.flatMap((a) => (a.type === 'cloudfront-kvs' ? [[a.key, a.inactiveValue]] : [])),
      ),
    });
    const bus = new InMemoryObservationBus();
    let tick = 0;
    // Pages are staged by the handlers and delivered by the sender, as in AWS (docs/resilience.md).
    const pager = new StagingPager(persistence.outbox, clock);
    const breakerLog: StandIns['breakerLog'] = [];
    // A fixed jitter draw keeps drills reproducible (open periods end 1 s after their nominal time).
    const breakers = new SharedBreakers({
      store: persistence.breakers,
      clock,
      pages: pager,
      log: telemetry,
      owner: () => `drill-${tick}`,
      random: () => 0.5,
      onTransition: (breaker, transition) =>
        breakerLog.push({ breaker, transition, requestsSeen: emulator.requests().length }),
    });
    const guarded = options.breakers ?? true;
    const genesysSwitch = guarded ? guardSwitch(breakers, 'genesys', genesys.switch) : genesys.switch;
    const sender = new PageSender({
      outbox: persistence.outbox,
      pagerDuty: new PagerDutyEventsClient({
        url: pagerDuty.url,
        routingKey: { get: async () => DRILL_ROUTING_KEY },
      }),
      email: transport,
      breakers,
      clock,
      log: telemetry,
      sleep: clock.sleep,
      random: () => 0.5,
    });
    const deps: PollerDeps = {
      config,
      actuators,
      queueStates: persistence.queues,
      overrides: persistence.overrides,
      actuatorStore: persistence.actuators,
      pager,
      switches: new SwitchRouter({
        'datatable-row': genesysSwitch,
        'emergency-group': genesysSwitch,
        'flow-publish': genesysSwitch,
        'cloudfront-kvs': edge.kvsSwitch,
        'notify-only': notifyOnlySwitch,
      }),
      clock,
      owner: () => `drill-${++tick}`,
      log: telemetry,
      ...(guarded
        ? { resilience: { breakers, probes: { genesys: genesys.healthProbe }, watched: ['genesys'] } }
        : {}),
      observations: guarded
        ? guardObservations(breakers, 'genesys', genesys.observations)
        : genesys.observations,
      publisher: bus,
    };
    // `genesys`: every call to the emulator fails as the fault says until it ends (on simulated time).
    faults.on('genesys', (fault) => {
      emulator.faults.clear();
      if (!fault) return;
      const kind =
        fault.fault === '5xx'
          ? ({ kind: 'status', status: 503 } as const)
          : fault.fault === '429'
            ? ({ kind: 'rate-limit', retryAfterSeconds: 1 } as const)
            : ({ kind: 'timeout' } as const); // 'down' too: the emulator cannot refuse connections
      emulator.faults.until({ path: '*' }, kind, fault.untilMs);
    });
    faults.on('pager', (fault) => {
      if (fault) pagerDuty.fail(fault.fault, fault.fromMs, fault.untilMs);
    });
    // What the table's stream hands the sender (pages staged since the last run), and the 1-minute sweep
    // only when something is left over (refused while the breaker was open, dead and due for re-drive).
    const deliverPages = async (): Promise<SendReport> => {
      const backlog = await persistence.outbox.backlog();
      const now = clock.now();
      // The stream's INSERT image: entries still as recordNew staged them (a sender's claim moves claimUntil).
      const staged = backlog.pending.filter(
        (e) => e.claimUntil > now && e.attempts === 0 && e.claimUntil === e.createdAt + OUTBOX_CLAIM_MS,
      );
      const fresh = await sender.deliverStaged(
        staged.map((e) => ({ page: e.page, claimUntil: e.claimUntil })),
      );
      const leftOver = backlog.dead > 0 || backlog.pending.length > staged.length || fresh.queued > 0;
      const swept = leftOver ? await sender.sweep() : { sent: 0, queued: 0, dead: 0, skipped: 0 };
      return {
        sent: fresh.sent + swept.sent,
        queued: swept.queued,
        dead: fresh.dead + swept.dead,
        skipped: fresh.skipped,
      };
    };
    const ready = edge;
    return {
      dynamo,
      emulator,
      bus,
      transport,
      kvs: { keyValueStore: ready.kvs.store },
      edge: ready,
      deps,
      faults,
      pagerDuty,
      breakerLog,
      deliverPages,
      sendPagesDeps: {
        sender,
        stage: (page) => persistence.outbox.recordNew(page, clock.now()),
        backlog: () => persistence.outbox.backlog(),
        clock,
      },
      pageBacklog: async () => {
        const b = await persistence.outbox.backlog();
        return { pending: b.pending.length, dead: b.dead };
      },
      stop: async () => {
        await ready.close();
        await emulator.close();
        await pagerDuty.close();
        await dynamo.stop();
      },
    };
  } catch (e) {
    await edge?.close();
    await emulator.close();
    await pagerDuty.close();
    await dynamo.stop();
    throw e;
  }
}

/** The drill runs the CloudFront stand-ins when something in it is about the edge. */
export const drillsTheEdge = (actuators: readonly Actuator[], faults?: FaultSchedule): boolean =>
  actuators.some((a) => a.type === 'cloudfront-kvs' || a.tier === 4) ||
  (faults?.targets.includes('origin') ?? false);
