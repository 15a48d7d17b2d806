import * as z from 'zod';
import { ConfigError, ConfigFileError } from './errors';
import { lineOfJsonPath } from './json-location';
import { lazySchema } from './lazy-schema';

// The DR switchover config (docs/dr.md): its own JSON file, not a section of the controller config,
// because a contact center's DID list (1,000+ E.164 numbers) outgrows the 3.2 KB the controller
// config may take in a Lambda environment variable; the dr-switch Lambda gets this file bundled.

/** E.164: '+', a non-zero digit, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;

/** The DR config's schemas, built the first time a config is parsed (lazySchema), not at cold start. */
function buildDrConfigSchemas() {
  const id = z.string().min(1, 'must be a non-empty string');
  const did = z.string().regex(E164, 'must be an E.164 number such as +13175550100');

  const OrgSchema = z.strictObject({
    /** A `PureCloudRegionHosts` key, e.g. us_east_1. */
    region: id.default('us_east_1'),
    /** Secrets Manager name of the normal OAuth client `{ clientId, clientSecret }`. */
    credentialsSecret: id,
    /** Secrets Manager name of the break-glass OAuth client. */
    breakGlassSecret: id,
  });

  const BackupIvrSchema = z.strictObject({
    /** IVR config id in the backup org whose `dnis` receives these DIDs in a nuclear failover. */
    id,
    /** The emergency flow that IVR routes to; must exist and be published in the backup org. */
    emergencyFlowId: id,
    /** Written into the DID rows' `Backup_Target` when given (else the rows keep theirs). */
    backupTarget: z.string().min(1).optional(),
    /** The DIDs this IVR takes over. */
    dids: z.array(did).min(1, 'must list at least one DID'),
  });

  const DrConfigSchema = z.strictObject({
    primary: OrgSchema,
    backup: OrgSchema,
    controlTable: z
      .strictObject({
        /** The `DR_Control` data table id in the primary org. */
        datatableId: id,
        /** The row every entry flow checks first. */
        allRowKey: id.default('__ALL__'),
        statusField: id.default('Status'),
        targetField: id.default('Backup_Target'),
      })
      .default({
        datatableId: 'DR_Control',
        allRowKey: '__ALL__',
        statusField: 'Status',
        targetField: 'Backup_Target',
      }),
    backupIvrs: z.array(BackupIvrSchema).min(1, 'must name at least one backup IVR'),
    callbacks: z
      .strictObject({
        /** Backup-org queue id → primary-org queue id for mirrored callbacks. */
        queueMap: z.record(z.string(), id).default({}),
        /** Primary queue for callbacks whose backup queue is not in queueMap (else they keep none). */
        defaultPrimaryQueueId: id.optional(),
      })
      .default({ queueMap: {} }),
    rateLimits: z
      .strictObject({
        /** Genesys' per-token limit. */
        requestsPerMinute: z.number().int().positive().default(300),
        /** Community-reported limit of IVR PUTs. */
        ivrPutsPerMinute: z.number().int().positive().default(100),
        /** Calls allowed at once before pacing starts (bucket size). */
        burst: z.number().int().positive().default(10),
      })
      .default({ requestsPerMinute: 300, ivrPutsPerMinute: 100, burst: 10 }),
    /** The run lease (renewed while a run works); a crashed run frees it after this long. */
    leaseSeconds: z.number().int().min(10).max(900).default(60),
  });
  return { OrgSchema, BackupIvrSchema, DrConfigSchema };
}
const drConfigSchemas = lazySchema(buildDrConfigSchemas);
type DrConfigSchemas = ReturnType<typeof buildDrConfigSchemas>;
export type DrOrgConfig = z.infer<DrConfigSchemas['OrgSchema']>;
export type BackupIvrConfig = z.infer<DrConfigSchemas['BackupIvrSchema']>;
export type DrConfig = z.infer<DrConfigSchemas['DrConfigSchema']>;
export type DrConfigInput = z.input<DrConfigSchemas['DrConfigSchema']>;

/** Validates a DR config; throws a ConfigError naming the first bad key. */
export function parseDrConfig(input: unknown): DrConfig {
  const result = drConfigSchemas().DrConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path =
      issue?.code === 'unrecognized_keys'
        ? [...issue.path, issue.keys[0]].map(String).join('.')
        : (issue?.path.map(String).join('.') ?? '');
    throw new ConfigError(
      path,
      issue?.code === 'unrecognized_keys' ? 'is not a known key' : (issue?.message ?? 'invalid'),
    );
  }
  const config = result.data;
  const seenDid = new Map<string, string>();
  const seenIvr = new Set<string>();
  config.backupIvrs.forEach((ivr, i) => {
    if (seenIvr.has(ivr.id)) throw new ConfigError(`backupIvrs.${i}.id`, `IVR ${ivr.id} is listed twice`);
    seenIvr.add(ivr.id);
    ivr.dids.forEach((d, j) => {
      const other = seenDid.get(d);
      if (other)
        throw new ConfigError(
          `backupIvrs.${i}.dids.${j}`,
          `${d} is already listed under backup IVR ${other} (a DID is routed by one IVR only)`,
        );
      seenDid.set(d, ivr.id);
    });
  });
  const allRow = config.controlTable.allRowKey;
  if (seenDid.has(allRow)) throw new ConfigError('controlTable.allRowKey', `${allRow} is also a DID`);
  return config;
}

/** Parses the text of a DR config file; errors read `file:line: path: detail`. */
export function parseDrConfigText(text: string, source: string): DrConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigFileError(source, undefined, '', `is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return parseDrConfig(json);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const line = e.path ? lineOfJsonPath(text, e.path.split('.')) : undefined;
    throw new ConfigFileError(source, line, e.path, e.detail, { cause: e });
  }
}

/** Every configured DID with its backup IVR, in config order. */
export function drDids(config: DrConfig): { did: string; ivr: BackupIvrConfig }[] {
  return config.backupIvrs.flatMap((ivr) => ivr.dids.map((d) => ({ did: d, ivr })));
}
