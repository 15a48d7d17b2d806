// The Genesys Cloud adapter: queue observations in, surge levers out, through one session.
//
//   // module scope of a handler: the session (and its token) outlives the invocation
//   const genesys = createGenesys({ credentials, clock: systemClock, region: config.genesys.region });
//   const { observations, usedBreakGlass } = await genesys.observations.read(queueIds, { deadline });
//   const outcome = await genesys.switch.apply(actuator, 'active', { deadline });
import type { Clock, CredentialsSource, ObservationSource } from '../../core/ports';
import { genesysHealthProbe } from './health';
import { DEFAULT_QUEUES_PER_QUERY, GenesysObservationSource, QUERY_CONCURRENCY } from './observations';
import type { GatewayOptions } from './sdk';
import { GenesysSession, type SessionEvent } from './session';
import { GenesysSurgeSwitch } from './switch';

export interface GenesysOptions {
  readonly credentials: CredentialsSource;
  readonly clock: Clock;
  /** A `PureCloudRegionHosts` key (config `genesys.region`). @default 'us_east_1' */
  readonly region?: string;
  /** e.g. the emulator's url, `http://127.0.0.1:PORT`. */
  readonly gateway?: string | GatewayOptions;
  /** Real ms per HTTP call. @default 3000 */
  readonly callTimeoutMs?: number;
  /** Waits between retries and publish polls; inject one that advances a simulated clock in drills. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Budget of one read or apply when the caller passes no deadline. @default 20000 */
  readonly defaultBudgetMs?: number;
  /** @default 100 */
  readonly queuesPerQuery?: number;
  /** Observation chunk queries in flight at once. @default 4 (QUERY_CONCURRENCY) */
  readonly queryConcurrency?: number;
  /** @default 1000 */
  readonly publishPollMs?: number;
  readonly onEvent?: (event: SessionEvent) => void;
}

export interface Genesys {
  readonly observations: ObservationSource;
  readonly switch: GenesysSurgeSwitch;
  readonly session: GenesysSession;
  /** The `genesys` breaker's health probe: GET /api/v2/organizations/me, one attempt. */
  readonly healthProbe: () => Promise<unknown>;
}

export function createGenesys(options: GenesysOptions): Genesys {
  const session = new GenesysSession(options);
  return {
    session,
    healthProbe: genesysHealthProbe(session, () => options.clock.now()),
    observations: new GenesysObservationSource(
      session,
      options.clock,
      options.queuesPerQuery ?? DEFAULT_QUEUES_PER_QUERY,
      options.queryConcurrency ?? QUERY_CONCURRENCY,
    ),
    switch: new GenesysSurgeSwitch(session, options.clock, {
      publishPollMs: options.publishPollMs,
      sleep: options.sleep,
    }),
  };
}

export {
  ActuatorSwitchError,
  GenesysApiError,
  GenesysAuthError,
  GenesysDeadlineError,
  type GenesysFailureKind,
  GenesysNotFoundError,
  isGenesysApiError,
  type SwitchStage,
  UnsupportedActuatorError,
} from './errors';
export { classifyFailure, fullJitterDelay, isRetryable, parseRetryAfter } from './failures';
export { GenesysObservationSource, observationQuery, observationsFromResponse } from './observations';
export { type GatewayOptions, parseGateway, regionHost } from './sdk';
export {
  type CredentialKind,
  GenesysSession,
  type GenesysSessionOptions,
  type SessionEvent,
} from './session';
export { GenesysSurgeSwitch, type GenesysSwitchOptions } from './switch';
