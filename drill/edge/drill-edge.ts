// The edge tiers in the drill: the KeyValueStore data plane the real `cloudfront-kvs` adapter switches,
// the distribution stand-in running the real CloudFront Function over that store, the origin stand-in the
// `origin` faults hit, and the origin alarm whose state changes reach evaluate as the deployed rule would
// deliver them. The drill calls `afterTick` after each tick; visitor checks run at the moments they mean
// something (flag on, origin down, everything back), over HTTP always and in Chromium when there is one.
import type { Clock, SurgeSwitch } from '../../lambdas/core/ports';
import type { FaultInjector } from '../faults';
import { type EdgeStandIn, probeOriginHealth, startEdgeStandIn } from './edge-stand-in';
import { createDrillKvsSwitch, type KvsDataPlaneStandIn, startKvsDataPlane } from './kvs-data-plane';
import { type AlarmStateChange, alarmStateChangeEvent, OriginAlarmModel } from './origin-alarm';

export interface DrillEdge {
  readonly kvs: KvsDataPlaneStandIn;
  /** The real cloudfront-kvs switch against the KVS stand-in (SDK loaded on first switch). */
  readonly kvsSwitch: SurgeSwitch;
  /** Present when the drill exercises the edge (a cloudfront-kvs or tier 4 actuator, or an origin fault). */
  readonly site?: EdgeStandIn;
  readonly alarm?: OriginAlarmModel;
  /** Every alarm state change, in order. */
  readonly alarmChanges: AlarmStateChange[];
  /**
   * Probes the origin when a minute's datapoint is due and returns the alarm events to deliver to
   * evaluate (at most one per tick).
   */
  afterTick(atMs: number): Promise<ReturnType<typeof alarmStateChangeEvent>[]>;
  close(): Promise<void>;
}

export interface DrillEdgeOptions {
  readonly startMs: number;
  readonly faults: FaultInjector;
  /** Start the distribution and origin stand-ins and the alarm. */
  readonly withSite: boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The drill's clock: switch deadlines are simulated time. */
  readonly clock?: Clock;
  /** Initial keys, as the construct seeds the store (`<flagKey> = off`). */
  readonly initialFlags?: Record<string, string>;
}

export async function startDrillEdge(options: DrillEdgeOptions): Promise<DrillEdge> {
  const kvs = await startKvsDataPlane({ initial: options.initialFlags ?? {} });
  let real: SurgeSwitch | undefined;
  const kvsSwitch: SurgeSwitch = {
    apply: async (actuator, state, opts) => {
      real ??= await createDrillKvsSwitch(kvs, {
        ...(options.sleep ? { sleep: options.sleep } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
      });
      return real.apply(actuator, state, opts);
    },
  };
  const alarmChanges: AlarmStateChange[] = [];
  if (!options.withSite) {
    return { kvs, kvsSwitch, alarmChanges, afterTick: async () => [], close: () => kvs.close() };
  }
  const site = await startEdgeStandIn({ readFlag: (key) => kvs.store.peek(key) });
  options.faults.on('origin', (fault) => {
    site.origin.fault = fault?.fault;
  });
  const alarm = new OriginAlarmModel(options.startMs);
  return {
    kvs,
    kvsSwitch,
    site,
    alarm,
    alarmChanges,
    afterTick: async (atMs) => {
      if (!alarm.due(atMs)) return [];
      const change = alarm.record(atMs, await probeOriginHealth(site.origin));
      if (!change) return [];
      alarmChanges.push(change);
      return [alarmStateChangeEvent(change)];
    },
    close: async () => {
      await site.close();
      await kvs.close();
    },
  };
}
