// Names shared by the Lambdas that emit telemetry (Powertools Metrics, EMF) and the CDK constructs
// that alarm and chart on it. Change a name here and both sides follow.

export const METRICS_NAMESPACE = 'CxSurge';
export const SERVICE_NAME = 'cx-surge-controller';

export const MetricName = {
  /** Observations ignored as duplicate / out-of-order / future-dated (emitted only when some were). */
  ObservationsIgnored: 'ObservationsIgnored',
  /** Tier transitions (activate/restore/recommend) (per Tier). */
  Transitions: 'Transitions',
  /** Milliseconds from lock to verified switch (per ActuatorType). */
  SwitchLatency: 'SwitchLatency',
  /** Switch or verify failures (per ActuatorType, and once more without it for the alarm). */
  SwitchFailures: 'SwitchFailures',
  /**
   * Queues with no accepted observation for staleAfterSeconds (emitted by the poller every tick, 0 when
   * healthy: the one metric a quiet day emits, since its absence means the poller is down).
   */
  StaleQueues: 'StaleQueues',
  /** Pages that could not be delivered and were left for retry (emitted only when some were). */
  PageFailures: 'PageFailures',
  /** Break-glass credentials used. */
  BreakGlassUsed: 'BreakGlassUsed',
  /** A shared circuit breaker's state each poll tick while not closed: 1 open, 2 half-open (per Breaker). */
  CircuitState: 'CircuitState',
  /** Age in seconds of the oldest page still waiting in the outbox (the page sender, when one waits). */
  PageBacklogAge: 'PageBacklogAge',
  /** Pages dead-lettered and not yet re-driven (the page sender, when there are any). */
  DeadPages: 'DeadPages',
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
