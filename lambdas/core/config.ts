import * as z from 'zod';
import { ConfigError, ConfigFileError } from './errors';
import { lineOfJsonPath, lineOfOffset } from './json-location';
import { lazySchema } from './lazy-schema';

// The controller's config: one JSON document, deep-merged over DEFAULTS (`{}` is a valid config).
// Parsing happens in two passes: the user's partial document is checked for unknown keys and wrong
// types (so a typo names its key), then the merged result is checked for cross-field rules.

export const TIER_KEYS = ['tier1', 'tier2', 'tier3'] as const;
/** The depth-driven tiers (1–3). Tier 4 is driven by the edge origin alarm, not by queue depth. */
export type TierKey = (typeof TIER_KEYS)[number];
export type TierNumber = 1 | 2 | 3;
export const tierNumber = (key: TierKey): TierNumber => (TIER_KEYS.indexOf(key) + 1) as TierNumber;
export const tierKey = (n: TierNumber): TierKey => TIER_KEYS[n - 1] as TierKey;

/**
 * The config document's schemas, built together the first time a config is parsed (lazySchema): they
 * share their parts, and a function that never parses a config never builds them.
 */
function buildConfigSchemas() {
  const TierModeSchema = z.enum(['auto', 'recommend', 'off']);
  const count = z.number().int('must be an integer').nonnegative('must be ≥ 0');
  const positiveCount = z.number().int('must be an integer').positive('must be ≥ 1');

  const ActivateSchema = z.strictObject({
    waitingAbove: count,
    /** null or absent: no agent condition. */
    agentsAvailableBelow: count.nullable().optional(),
    forObservations: positiveCount,
  });
  const RestoreSchema = z.strictObject({ waitingBelow: count, forObservations: positiveCount });
  const TierSchema = z.strictObject({
    mode: TierModeSchema,
    activate: ActivateSchema,
    restore: RestoreSchema,
    minActiveSeconds: count,
  });

  const PartialTierSchema = z.strictObject({
    mode: TierModeSchema.optional(),
    activate: ActivateSchema.partial().optional(),
    restore: RestoreSchema.partial().optional(),
    minActiveSeconds: count.optional(),
  });
  const PartialTiersSchema = z.strictObject({
    tier1: PartialTierSchema.optional(),
    tier2: PartialTierSchema.optional(),
    tier3: PartialTierSchema.optional(),
  });

  const id = z.string().min(1, 'must be a non-empty string');
  const queueList = z.array(id).min(1, "must name at least one queue id, or ['*']");
  const actuatorBase = {
    id,
    tier: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
    queues: queueList,
  };
  const flagValue = z.union([z.string(), z.number(), z.boolean()]);

  const ActuatorSchema = z.discriminatedUnion('type', [
    z.strictObject({
      ...actuatorBase,
      type: z.literal('datatable-row'),
      datatableId: id,
      rowId: id,
      field: id,
      activeValue: flagValue,
      inactiveValue: flagValue,
    }),
    z.strictObject({ ...actuatorBase, type: z.literal('emergency-group'), groupId: id }),
    z.strictObject({
      ...actuatorBase,
      type: z.literal('flow-publish'),
      flowId: id,
      surgeVersion: id,
      normalVersion: id,
    }),
    z.strictObject({
      ...actuatorBase,
      type: z.literal('cloudfront-kvs'),
      key: id,
      activeValue: z.string(),
      inactiveValue: z.string(),
    }),
    z.strictObject({ ...actuatorBase, type: z.literal('notify-only') }),
  ]);

  const QueueSchema = z.strictObject({
    id,
    name: z.string().optional(),
    tiers: PartialTiersSchema.optional(),
  });

  const GenesysSchema = z.strictObject({
    /** A `PureCloudRegionHosts` key, e.g. us_east_1, eu_west_1. */
    region: z.string().min(1),
    /** Secrets Manager name of `{ clientId, clientSecret }` for the normal OAuth client. */
    credentialsSecret: z.string().min(1),
    /** Secrets Manager name of the break-glass OAuth client, used after a failed re-login. */
    breakGlassSecret: z.string().min(1).optional(),
  });

  const FlappingSchema = z.strictObject({
    /** This many transitions of one tier of one queue inside the window count as flapping. */
    transitions: z.number().int('must be an integer').min(2, 'must be ≥ 2'),
    windowSeconds: positiveCount,
  });

  const ConfigInputSchema = z.strictObject({
    intervalSeconds: positiveCount.optional(),
    staleAfterSeconds: positiveCount.optional(),
    futureToleranceSeconds: positiveCount.optional(),
    flapping: FlappingSchema.partial().optional(),
    tiers: PartialTiersSchema.optional(),
    queues: z.array(QueueSchema).optional(),
    actuators: z.array(ActuatorSchema).optional(),
    genesys: GenesysSchema.partial().optional(),
  });
  return {
    TierModeSchema,
    TierSchema,
    PartialTierSchema,
    ActuatorSchema,
    GenesysSchema,
    FlappingSchema,
    ConfigInputSchema,
  };
}
const configSchemas = lazySchema(buildConfigSchemas);
type ConfigSchemas = ReturnType<typeof buildConfigSchemas>;

export type TierMode = z.infer<ConfigSchemas['TierModeSchema']>;
export type TierConfig = z.infer<ConfigSchemas['TierSchema']>;
export type PartialTierConfig = z.infer<ConfigSchemas['PartialTierSchema']>;
export type Actuator = z.infer<ConfigSchemas['ActuatorSchema']>;
export type ActuatorType = Actuator['type'];
export type ActuatorOf<T extends ActuatorType> = Extract<Actuator, { type: T }>;
export type FlappingConfig = z.infer<ConfigSchemas['FlappingSchema']>;
export type SurgeConfigInput = z.infer<ConfigSchemas['ConfigInputSchema']>;

export interface QueueConfig {
  readonly id: string;
  readonly name?: string;
  readonly tiers?: Partial<Record<TierKey, PartialTierConfig>>;
}

/** The validated, fully defaulted config. */
export interface SurgeConfig {
  readonly intervalSeconds: number;
  /** No accepted observation for this long → page "stale"; tiers are held, never restored. */
  readonly staleAfterSeconds: number;
  /**
   * Observations dated more than this after the evaluating clock are rejected (reason `future-dated`)
   * and paged. Absent: 2 × intervalSeconds (see `futureToleranceMs`).
   */
  readonly futureToleranceSeconds?: number;
  /** Flapping detector (reason `flapping`). Optional so hand-built configs stay valid; see DEFAULT_FLAPPING. */
  readonly flapping?: FlappingConfig;
  readonly tiers: Readonly<Record<TierKey, TierConfig>>;
  readonly queues: readonly QueueConfig[];
  readonly actuators: readonly Actuator[];
  readonly genesys: z.infer<ConfigSchemas['GenesysSchema']>;
}

/** A tier that switches 4 times within an hour (two full episodes) is flapping: page, and widen the band. */
export const DEFAULT_FLAPPING: FlappingConfig = { transitions: 4, windowSeconds: 3600 };

/** docs/semantics.md defaults (the seed's activation matrix). */
export const DEFAULT_CONFIG: SurgeConfig = {
  intervalSeconds: 60,
  staleAfterSeconds: 180,
  flapping: DEFAULT_FLAPPING,
  tiers: {
    tier1: {
      mode: 'auto',
      activate: { waitingAbove: 50, forObservations: 10 },
      restore: { waitingBelow: 25, forObservations: 10 },
      minActiveSeconds: 0,
    },
    tier2: {
      mode: 'auto',
      activate: { waitingAbove: 200, agentsAvailableBelow: 5, forObservations: 3 },
      restore: { waitingBelow: 50, forObservations: 5 },
      minActiveSeconds: 0,
    },
    tier3: {
      mode: 'recommend',
      activate: { waitingAbove: 400, forObservations: 3 },
      restore: { waitingBelow: 100, forObservations: 10 },
      minActiveSeconds: 0,
    },
  },
  queues: [],
  actuators: [],
  genesys: { region: 'us_east_1', credentialsSecret: 'cx-surge/genesys-client' },
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars in `over` replace; `undefined` keeps `base`. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out as T;
}

function stripNullAgentCondition(tier: TierConfig): TierConfig {
  if (tier.activate.agentsAvailableBelow !== null) return tier;
  const { agentsAvailableBelow: _cleared, ...activate } = tier.activate;
  return { ...tier, activate };
}

/** A tier's config for one queue: global tier config with the queue's partial override merged in. */
export function tierConfigFor(config: SurgeConfig, queueId: string, key: TierKey): TierConfig {
  const queue = config.queues.find((q) => q.id === queueId);
  const override = queue?.tiers?.[key];
  return stripNullAgentCondition(override ? deepMerge(config.tiers[key], override) : config.tiers[key]);
}

// Configs are immutable once parsed, so the merged per-queue tier configs are computed once per
// (config, queue) and shared: the hot path (decide, ~1M calls in a replay) must not re-merge.
const tierConfigCache = new WeakMap<SurgeConfig, Map<string, Readonly<Record<TierKey, TierConfig>>>>();

/** All three tier configs for one queue (memoised per config object; treat configs as immutable). */
export function tierConfigsFor(config: SurgeConfig, queueId: string): Readonly<Record<TierKey, TierConfig>> {
  let byQueue = tierConfigCache.get(config);
  if (!byQueue) {
    byQueue = new Map();
    tierConfigCache.set(config, byQueue);
  }
  let tiers = byQueue.get(queueId);
  if (!tiers) {
    tiers = {
      tier1: tierConfigFor(config, queueId, 'tier1'),
      tier2: tierConfigFor(config, queueId, 'tier2'),
      tier3: tierConfigFor(config, queueId, 'tier3'),
    };
    byQueue.set(queueId, tiers);
  }
  return tiers;
}

function checkBand(tier: TierConfig, path: string): void {
  if (tier.restore.waitingBelow > tier.activate.waitingAbove) {
    throw new ConfigError(
      `${path}.restore.waitingBelow`,
      `${tier.restore.waitingBelow} must be ≤ ${path}.activate.waitingAbove (${tier.activate.waitingAbove})`,
    );
  }
}

/** Validates a config document (already JSON-parsed) and returns it merged over the defaults. */
export function parseConfig(input: unknown): SurgeConfig {
  const parsed = configSchemas().ConfigInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const segments = issue?.path.map(String) ?? [];
    // Name the misspelt key itself, not the object holding it.
    if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
      throw new ConfigError([...segments, issue.keys[0]].join('.'), 'unknown key');
    }
    throw new ConfigError(segments.join('.') || '(root)', issue?.message ?? 'invalid config');
  }
  const merged = deepMerge(DEFAULT_CONFIG, parsed.data) as SurgeConfig;
  const config: SurgeConfig = {
    ...merged,
    tiers: Object.fromEntries(TIER_KEYS.map((k) => [k, stripNullAgentCondition(merged.tiers[k])])) as Record<
      TierKey,
      TierConfig
    >,
  };

  for (const key of TIER_KEYS) checkBand(config.tiers[key], `tiers.${key}`);
  const seenQueues = new Set<string>();
  config.queues.forEach((q, i) => {
    if (seenQueues.has(q.id)) throw new ConfigError(`queues.${i}.id`, `duplicate queue id '${q.id}'`);
    seenQueues.add(q.id);
    for (const key of TIER_KEYS) {
      if (q.tiers?.[key]) checkBand(tierConfigFor(config, q.id, key), `queues.${i}.tiers.${key}`);
    }
  });
  const seenActuators = new Set<string>();
  config.actuators.forEach((a, i) => {
    if (seenActuators.has(a.id))
      throw new ConfigError(`actuators.${i}.id`, `duplicate actuator id '${a.id}'`);
    seenActuators.add(a.id);
  });
  return config;
}

/** Does this actuator cover this queue? */
export const actuatorCovers = (a: Pick<Actuator, 'queues'>, queueId: string): boolean =>
  a.queues.includes('*') || a.queues.includes(queueId);

/**
 * Parses a config file's text (JSON) and validates it. Throws ConfigFileError whose one-line message
 * names the file, the line of the offending key (or its nearest written ancestor) and the key path.
 */
export function parseConfigText(text: string, source: string): SurgeConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const position = /position (\d+)/.exec(message);
    const line = position ? lineOfOffset(text, Number(position[1])) : undefined;
    throw new ConfigFileError(source, line, '', `invalid JSON: ${message.split('\n')[0]}`, { cause: e });
  }
  try {
    return parseConfig(json);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const line = e.path === '(root)' ? undefined : lineOfJsonPath(text, e.path.split('.'));
    throw new ConfigFileError(source, line, e.path, e.detail, { cause: e });
  }
}
