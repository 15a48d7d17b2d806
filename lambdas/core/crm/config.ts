import * as z from 'zod';
import { ConfigError } from '../errors';
import { lazySchema } from '../lazy-schema';

// The CRM screen-pop lookup's config (docs/crm.md): one JSON document of its own, deep-merged over
// CRM_DEFAULTS like the controller's config, validated with zod so a bad key is named. Secrets are never
// here, only the Secrets Manager names of `{ clientId, clientSecret }`.

/** The normalised customer fields every endpoint's field map must map onto. */
export const CUSTOMER_FIELDS = [
  'customerId',
  'fullName',
  'email',
  'phone',
  'tier',
  'accountStatus',
  'preferredLanguage',
] as const;
export type CustomerField = (typeof CUSTOMER_FIELDS)[number];

/**
 * The CRM config's schemas, built together the first time a config is parsed (lazySchema): the lookup
 * function validates its config on the first invocation, not at cold start (docs/architecture.md#cold-start).
 */
function buildCrmConfigSchemas() {
  const nonEmpty = z.string().min(1, 'must be a non-empty string');
  const url = z.url({ message: 'must be an absolute http(s) URL' }).refine((u) => /^https?:\/\//.test(u), {
    message: 'must be an http(s) URL',
  });
  const path = z.string().regex(/^\/\S*$/, "must be a path starting with '/'");
  const ms = z.number().int('must be an integer').positive('must be ≥ 1');

  const FieldMapSchema = z
    .record(nonEmpty, z.enum(CUSTOMER_FIELDS, { message: `must be one of ${CUSTOMER_FIELDS.join(', ')}` }))
    .refine((m) => Object.values(m).includes('customerId'), {
      message: "must map some field to 'customerId'",
    })
    .refine((m) => new Set(Object.values(m)).size === Object.values(m).length, {
      message: 'maps two fields onto the same customer field',
    });

  const EndpointSchema = z.strictObject({
    /** Base URL of the REST API, e.g. https://crm.example.com/api. */
    baseUrl: url,
    /** OAuth 2 client-credentials token endpoint (absolute URL). */
    tokenUrl: url,
    /** Search path under baseUrl (POST, JSON body). */
    searchPath: path,
    /** Cheap read-only path the health prober GETs (under baseUrl). */
    healthPath: path,
    /** Secrets Manager name of `{ clientId, clientSecret }`. */
    credentialsSecret: nonEmpty,
    /** OAuth scope to ask for, if the CRM wants one. */
    scope: z.string().optional(),
    /** Dotted path of the customer record in a 200 body (e.g. `customer`, `data.record`); '' = the body itself. */
    recordPath: z.string(),
    /** The endpoint's field names → normalised customer fields (a declared field map; others are dropped). */
    fieldMap: FieldMapSchema,
    /** Per-call timeout cap before the budget cuts it further. */
    callTimeoutMs: ms,
  });

  const PrimarySchema = EndpointSchema.extend({
    /** Dotted path of the order history in the primary's record (only the primary serves it). */
    orderHistoryField: z.string().min(1),
  });

  const CascadeSchema = z.strictObject({
    /** Sliding window over which lookups are counted. */
    windowSeconds: z.number().int().positive(),
    /** The guard decides only with at least this many lookups in the window. */
    minimumLookups: z.number().int().positive(),
    /** More than this share of lookups on the fallback path opens the crm-primary breaker. */
    fallbackRatePercent: z.number().gt(0, 'must be > 0').max(100),
    /** How long the guard keeps every external endpoint out of lookups. */
    openSeconds: z.number().int().positive(),
  });

  const CrmConfigSchema = z.strictObject({
    /** The whole lookup answers within this (under the Data Action's timeout). */
    budgetMs: ms,
    /** Kept back from every call's timeout for the cache read (or write-through) that may follow. */
    cacheReserveMs: ms,
    /** A call is not started with less time than this left (it could not succeed). */
    minCallMs: ms,
    /** Retries per lookup, all endpoints and reasons together. */
    maxRetries: z.number().int().min(0).max(2, 'at most 2 retries per lookup'),
    /** The k-th retry of a transient failure waits backoffBaseMs × 2^(k−1). */
    backoffBaseMs: z.number().int().nonnegative(),
    /** A cached record younger than this answers the fallback at once. */
    cacheFreshSeconds: z.number().int().nonnegative(),
    /** Cached records expire (DynamoDB TTL) after this. */
    cacheTtlSeconds: z.number().int().positive(),
    /** A token is refreshed when it has less than this left (so it never expires in flight). */
    tokenRefreshMarginSeconds: z.number().int().nonnegative(),
    /** Other-4xx answers within `clientErrorWindowSeconds` that page (the caller's fault, repeated). */
    clientErrorPageThreshold: z.number().int().positive(),
    clientErrorWindowSeconds: z.number().int().positive(),
    cascade: CascadeSchema,
    primary: PrimarySchema,
    /** Absent: no secondary, the fallback is the cache alone. */
    secondary: EndpointSchema.optional(),
  });
  return { FieldMapSchema, EndpointSchema, PrimarySchema, CascadeSchema, CrmConfigSchema };
}
const crmConfigSchemas = lazySchema(buildCrmConfigSchemas);
type CrmConfigSchemas = ReturnType<typeof buildCrmConfigSchemas>;
export type FieldMap = z.infer<CrmConfigSchemas['FieldMapSchema']>;
export type CrmEndpointConfig = z.infer<CrmConfigSchemas['EndpointSchema']>;
export type CrmPrimaryConfig = z.infer<CrmConfigSchemas['PrimarySchema']>;
export type CascadeGuardConfig = z.infer<CrmConfigSchemas['CascadeSchema']>;
export type CrmConfig = z.infer<CrmConfigSchemas['CrmConfigSchema']>;

/** Defaults (DESIGN of the feature: docs/crm.md). Endpoints have no URL defaults: they must be given. */
export const CRM_DEFAULTS = {
  budgetMs: 3000,
  cacheReserveMs: 200,
  minCallMs: 100,
  maxRetries: 2,
  backoffBaseMs: 100,
  cacheFreshSeconds: 300,
  cacheTtlSeconds: 7 * 24 * 3600,
  tokenRefreshMarginSeconds: 30,
  clientErrorPageThreshold: 5,
  clientErrorWindowSeconds: 300,
  cascade: { windowSeconds: 60, minimumLookups: 20, fallbackRatePercent: 10, openSeconds: 300 },
} as const;

/** Endpoint defaults: the generic REST CRM of docs/crm.md (`POST /v1/customers/search`). */
export const PRIMARY_DEFAULTS = {
  searchPath: '/v1/customers/search',
  healthPath: '/v1/health',
  recordPath: 'customer',
  orderHistoryField: 'order_history',
  callTimeoutMs: 1500,
  fieldMap: {
    customer_id: 'customerId',
    full_name: 'fullName',
    email: 'email',
    phone: 'phone',
    loyalty_tier: 'tier',
    account_status: 'accountStatus',
    preferred_language: 'preferredLanguage',
  } as FieldMap,
} as const;

/** The read replica of docs/crm.md, with its own field names. */
export const SECONDARY_DEFAULTS = {
  searchPath: '/v1/customers/search',
  healthPath: '/v1/health',
  recordPath: 'result',
  callTimeoutMs: 1000,
  fieldMap: {
    acct_id: 'customerId',
    display_name: 'fullName',
    email_address: 'email',
    phone_e164: 'phone',
    segment: 'tier',
    state: 'accountStatus',
    locale: 'preferredLanguage',
  } as FieldMap,
} as const;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k === 'fieldMap' ? (v ?? out[k]) : merge(out[k], v);
  return out;
}

/**
 * Validates a CRM config document and merges it over the defaults. A field map given by the user
 * replaces the default one whole (a partial map would silently keep fields the CRM does not have).
 */
export function parseCrmConfig(input: unknown): CrmConfig {
  if (!isPlainObject(input)) throw new ConfigError('(root)', 'must be a JSON object');
  const withDefaults = merge(
    {
      ...CRM_DEFAULTS,
      primary: PRIMARY_DEFAULTS,
      ...(input.secondary !== undefined ? { secondary: SECONDARY_DEFAULTS } : {}),
    },
    input,
  );
  const parsed = crmConfigSchemas().CrmConfigSchema.safeParse(withDefaults);
  if (parsed.success) {
    const c = parsed.data;
    if (c.cacheReserveMs + c.minCallMs >= c.budgetMs) {
      throw new ConfigError(
        'budgetMs',
        `${c.budgetMs} leaves no time for a call after cacheReserveMs + minCallMs`,
      );
    }
    return c;
  }
  const issue = parsed.error.issues[0];
  const segments = issue?.path.map(String) ?? [];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    throw new ConfigError([...segments, issue.keys[0]].join('.'), 'unknown key');
  }
  throw new ConfigError(segments.join('.') || '(root)', issue?.message ?? 'invalid CRM config');
}
