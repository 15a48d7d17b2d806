import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import type { InMemoryKeyValueStore } from '../lambdas/adapters/cloudfront-kvs';
import { createDynamoPersistence, OutboxPager } from '../lambdas/adapters/dynamodb';
import { createGenesys } from '../lambdas/adapters/genesys';
import { LocalOutboxPager } from '../lambdas/adapters/local';
import { OBSERVATION_EVENT } from '../lambdas/adapters/telemetry-names';
import type { PollerDeps } from '../lambdas/app/deps';
import { notifyOnlySwitch, SwitchRouter } from '../lambdas/app/switch-router';
import type { Telemetry } from '../lambdas/app/telemetry';
import type { Actuator, SurgeConfig } from '../lambdas/core/config';
import type { QueueObservation } from '../lambdas/core/observation';
import type {
  ClientCredentials,
  CredentialsSource,
  ObservationPublisher,
  Page,
  Pager,
} from '../lambdas/core/ports';
import { type DrillEdge, startDrillEdge } from './edge/drill-edge';
import { FaultInjector, type FaultSchedule } from './faults';
import { DEFAULT_EMULATOR_CLIENTS, type GenesysEmulator, startGenesysEmulator } from './genesys-emulator';
import { type LocalDynamo, startLocalDynamo } from './local-dynamo';
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

export type ObservationEvent = EventBridgeEvent<typeof OBSERVATION_EVENT.detailType, QueueObservation>;

/** Collects what the poller publishes as the EventBridge events the evaluate rule would deliver. */
export class InMemoryObservationBus implements ObservationPublisher {
  private pending: ObservationEvent[] = [];
  async publish(observations: readonly QueueObservation[]): Promise<void> {
    for (const o of observations) {
      this.pending.push({
        version: '0',
        id: randomUUID(),
        'detail-type': OBSERVATION_EVENT.detailType,
        source: OBSERVATION_EVENT.source,
        account: '000000000000',
        time: o.observedAt,
        region: 'local',
        resources: [],
        detail: o,
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

/** Seeds the emulator with every Genesys target the actuators name, in their inactive state. */
export function seedTargets(emulator: GenesysEmulator, actuators: readonly Actuator[]): void {
  for (const a of actuators) {
    if (a.type === 'datatable-row') {
      emulator.seedRow(a.datatableId, { key: a.rowId, [a.field]: a.inactiveValue });
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
  }
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
}

export async function startStandIns(options: StandInOptions): Promise<StandIns> {
  const { config, actuators, clock, telemetry } = options;
  const dynamo = await startLocalDynamo();
  const emulator = await startGenesysEmulator({ clock });
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
    const deps: PollerDeps = {
      config,
      actuators,
      queueStates: persistence.queues,
      overrides: persistence.overrides,
      actuatorStore: persistence.actuators,
      pager: new OutboxPager(persistence.outbox, transport, clock),
      switches: new SwitchRouter({
        'datatable-row': genesys.switch,
        'emergency-group': genesys.switch,
        'flow-publish': genesys.switch,
        'cloudfront-kvs': edge.kvsSwitch,
        'notify-only': notifyOnlySwitch,
      }),
      clock,
      owner: () => `drill-${++tick}`,
      log: telemetry,
      observations: genesys.observations,
      publisher: bus,
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
      stop: async () => {
        await ready.close();
        await emulator.close();
        await dynamo.stop();
      },
    };
  } catch (e) {
    await edge?.close();
    await emulator.close();
    await dynamo.stop();
    throw e;
  }
}

/** The drill runs the CloudFront stand-ins when something in it is about the edge. */
export const drillsTheEdge = (actuators: readonly Actuator[], faults?: FaultSchedule): boolean =>
  actuators.some((a) => a.type === 'cloudfront-kvs' || a.tier === 4) ||
  (faults?.targets.includes('origin') ?? false);
