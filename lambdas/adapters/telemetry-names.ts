// Names shared by the Lambdas that emit telemetry (Powertools Metrics, EMF) and the CDK constructs
// that alarm and chart on it. Change a name here and both sides follow.

export const METRICS_NAMESPACE = 'CxSurge';
export const SERVICE_NAME = 'cx-surge-controller';

export const MetricName = {
  /** Accepted observations. */
  Observations: 'Observations',
  /** Observations ignored as duplicate / out-of-order. */
  ObservationsIgnored: 'ObservationsIgnored',
  /** 1/0 per evaluation: is tier 1 effectively active for the evaluated queue? Max = any queue, Average = share. */
  Tier1Active: 'Tier1Active',
  /** As Tier1Active, for tier 2. */
  Tier2Active: 'Tier2Active',
  /** As Tier1Active, for tier 3. */
  Tier3Active: 'Tier3Active',
  /** Tier transitions (activate/restore/recommend) (per Tier). */
  Transitions: 'Transitions',
  /** Milliseconds from lock to verified switch (per ActuatorType). */
  SwitchLatency: 'SwitchLatency',
  /** Switch or verify failures (per ActuatorType). */
  SwitchFailures: 'SwitchFailures',
  /** Queues with no accepted observation for staleAfterSeconds (emitted by the poller every tick, 0 when healthy). */
  StaleQueues: 'StaleQueues',
  /** Pages that could not be delivered and were left for retry. */
  PageFailures: 'PageFailures',
  /** Break-glass credentials used. */
  BreakGlassUsed: 'BreakGlassUsed',
  /** Each shared circuit breaker's state every poll tick: 0 closed, 1 open, 2 half-open (per Breaker). */
  CircuitState: 'CircuitState',
  /** Age in seconds of the oldest page still waiting in the outbox (the page sender, every run). */
  PageBacklogAge: 'PageBacklogAge',
  /** Pages dead-lettered and not yet re-driven (the page sender, every run). */
  DeadPages: 'DeadPages',
} as const;

/**
 * The tier-state metric of each tier. One metric name per tier (not a Tier dimension) so all three
 * ride in the invocation's single EMF blob instead of one log line each.
 */
export const TIER_ACTIVE_METRIC = {
  tier1: MetricName.Tier1Active,
  tier2: MetricName.Tier2Active,
  tier3: MetricName.Tier3Active,
} as const;

/** Environment variables the CDK construct sets and the handlers read. No secret values, only names/ARNs. */
export const EnvVar = {
  /** The single DynamoDB table (pk/sk strings, TTL attribute `ttl`). */
  StateTableName: 'STATE_TABLE_NAME',
  /** The controller's own EventBridge bus for QueueObservation events. */
  EventBusName: 'EVENT_BUS_NAME',
  /** SNS topic for pages (PagerDuty/e-mail subscriptions). */
  PagerTopicArn: 'PAGER_TOPIC_ARN',
  /**
   * The user's config document (JSON file bundled with the function, validated at synth and again at
   * cold start): its path, relative to the function's code directory. See CONFIG_FILE_NAME.
   */
  SurgeConfigFile: 'SURGE_CONFIG_FILE',
  /** Optional: CloudFront KeyValueStore ARN for `cloudfront-kvs` actuators. */
  EdgeKvsArn: 'EDGE_KVS_ARN',
  /** Name of the Secrets Manager secret holding the PagerDuty Events v2 routing key (never the key). */
  PagerDutyRoutingKeySecret: 'PAGERDUTY_ROUTING_KEY_SECRET',
  /** Optional: Events API v2 URL (default https://events.pagerduty.com/v2/enqueue; EU accounts may differ). */
  PagerDutyEventsUrl: 'PAGERDUTY_EVENTS_URL',
} as const;

/** The config file's name inside each Lambda asset (docs/architecture.md: config bundled as a file). */
export const CONFIG_FILE_NAME = 'surge-config.json';

/** EventBridge `source` and `detail-type` of the controller's own events. */
export const OBSERVATION_EVENT = { source: 'cx-surge.poller', detailType: 'QueueObservation' } as const;

/**
 * The poller's event: the observations of one Genesys chunk (≤ 100 queues), `detail: { observations }`,
 * one evaluate invocation each (docs/architecture.md, "Batching"). A single-queue QueueObservation
 * event is still accepted.
 */
export const OBSERVATION_BATCH_EVENT = {
  source: 'cx-surge.poller',
  detailType: 'QueueObservations',
} as const;

/**
 * Dimension names used with MetricName. Powertools Metrics adds `service` (= SERVICE_NAME) to every
 * metric, so alarms and dashboards match on `service` plus the dimension named in MetricName's comment.
 */
export const MetricDimension = {
  Service: 'service',
  Tier: 'Tier',
  /** The actuator's `type` from the config, e.g. `datatable-row`. */
  ActuatorType: 'ActuatorType',
  /** A shared circuit breaker's name, e.g. `genesys`. */
  Breaker: 'Breaker',
} as const;
