import { readFileSync } from 'node:fs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { SurgeConfigInput } from '../lambdas/core/config';
import { ConfigError } from '../lambdas/core/errors';
import type { SurgeControllerProps } from './surge-controller';

// Deploy-time settings come from CDK context (`-c key=value` or cdk.json "context"): they are about the
// AWS account, not about the controller's behaviour, so they stay out of the config file.
// Values given with `-c` arrive as strings; cdk.json values keep their JSON types. Both are accepted.

/** Every context key the app reads, with what it does (docs/deploy.md lists the same). */
export const CONTEXT_KEYS = {
  config:
    'Path of the controller config JSON file (relative to the working directory). Default: none, i.e. `{}`.',
  stackName: 'CloudFormation stack name. Default: CxSurgeController.',
  alertEmail: 'E-mail address subscribed to the pager topic. Default: none.',
  pagerDutyRoutingKeySecret:
    'Name of the Secrets Manager secret holding a PagerDuty Events API v2 routing key. Default: none (e-mail only).',
  pagerDutyEventsUrl: 'PagerDuty Events API v2 URL. Default: https://events.pagerduty.com/v2/enqueue.',
  pagerDutyEndpoint:
    'Removed (the CloudWatch-style SNS integration dropped pages): use pagerDutyRoutingKeySecret.',
  partnerEventBusName:
    'Genesys Cloud partner event bus name; its conversation events trigger extra polls. Default: none.',
  createSecrets: 'true: create the Genesys secrets named in the config (placeholder values). Default: false.',
  deletionProtection: 'false: let `cdk destroy` delete the table, keys, secrets and logs. Default: true.',
  reserveConcurrency:
    'false: no reserved Lambda concurrency (accounts with a concurrency quota of 10). Default: true.',
  evaluateConcurrency: 'Reserved concurrency of evaluate. Default: 5.',
  logRetentionDays: 'Log retention in days (a CloudWatch Logs retention value). Default: 30.',
  logLevel: 'DEBUG | INFO | WARN | ERROR for both Lambdas. Default: INFO.',
  edge: 'true: also deploy the edge stack (lib/edge, us-east-1) and bind it (Tier 3 flag, Tier 4 alarm). Default: false.',
  edgeOriginDomain:
    'With edge: domain name of your site origin, no scheme (e.g. origin.shop.example). Required.',
  edgeSupportEmail: 'With edge: support e-mail the capacity stub and fallback page link to. Required.',
  edgeFaqUrl: 'With edge: FAQ / help-centre URL the stub and fallback page link to. Required.',
  crmConfig:
    'Path of a CRM screen-pop config JSON file (docs/crm.md): deploys crm-lookup and the role Genesys assumes. Default: none (no CRM lookup).',
  genesysAccountId:
    "With crmConfig: Genesys Cloud's AWS account id for your region (from Genesys' documentation). Required.",
  genesysOrgId: "With crmConfig: your Genesys Cloud organization id (the role's external id). Required.",
  drConfig:
    'Path of the DR config JSON file (docs/dr.md): deploys the dr-switch Lambda, its daily readiness and the emergency role. Default: none (no DR).',
  drEngineers:
    'With drConfig: comma-separated IAM user/role ARNs that may assume the DR emergency-access role (MFA). Required.',
} as const;
export type ContextKey = keyof typeof CONTEXT_KEYS;

export interface EdgeOptions {
  readonly originDomainName: string;
  readonly supportEmail: string;
  readonly faqUrl: string;
}

export interface DeployOptions {
  readonly stackName: string;
  /** Path of the config file, if one was given. */
  readonly configPath?: string;
  /** The edge stack's required settings when `-c edge=true`; undefined otherwise. */
  readonly edge?: EdgeOptions;
  /** The CRM screen-pop lookup when `-c crmConfig=…` is given (lib/crm-lookup.ts). */
  readonly crm?: CrmDeployOptions;
  /** The DR switchover when `-c drConfig=FILE`; undefined otherwise (existing deploys unchanged). */
  readonly dr?: { readonly configPath: string; readonly engineers: readonly string[] };
  /** Everything SurgeController takes except `config` and `edge`. */
  readonly controller: Omit<SurgeControllerProps, 'config' | 'edge'>;
}

export interface CrmDeployOptions {
  /** The CRM config document (validated by the construct at synth). */
  readonly config: unknown;
  readonly genesysAccountId: string;
  readonly genesysOrgId: string;
}

type ContextReader = (key: ContextKey) => unknown;

function text(read: ContextReader, key: ContextKey): string | undefined {
  const v = read(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string')
    throw new ConfigError(`context.${key}`, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function flag(read: ContextReader, key: ContextKey, fallback: boolean): boolean {
  const v = read(key);
  if (v === undefined || v === null || v === '') return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new ConfigError(`context.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
}

function wholeNumber(read: ContextReader, key: ContextKey): number | undefined {
  const v = read(key);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`context.${key}`, `must be a whole number ≥ 1, got ${JSON.stringify(v)}`);
  return n;
}

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
const RETENTION_VALUES = new Set<number>(
  Object.values(logs.RetentionDays).filter((d): d is number => typeof d === 'number'),
);

/** Reads and checks the deploy settings; a bad value throws a ConfigError naming `context.<key>`. */
export function deployOptionsFromContext(read: ContextReader): DeployOptions {
  const logLevel = text(read, 'logLevel')?.toUpperCase();
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('context.logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  const retention = wholeNumber(read, 'logRetentionDays');
  if (retention !== undefined && !RETENTION_VALUES.has(retention)) {
    throw new ConfigError(
      'context.logRetentionDays',
      `${retention} is not a CloudWatch Logs retention; use one of ${[...RETENTION_VALUES].sort((a, b) => a - b).join(', ')}`,
    );
  }
  return {
    stackName: text(read, 'stackName') ?? 'CxSurgeController',
    configPath: text(read, 'config'),
    edge: flag(read, 'edge', false) ? edgeOptions(read) : undefined,
    crm: crmOptions(read),
    dr: drOptions(read),
    controller: {
      alertEmail: text(read, 'alertEmail'),
      pagerDutyEndpoint: text(read, 'pagerDutyEndpoint'),
      pagerDutyRoutingKeySecret: text(read, 'pagerDutyRoutingKeySecret'),
      pagerDutyEventsUrl: text(read, 'pagerDutyEventsUrl'),
      partnerEventBusName: text(read, 'partnerEventBusName'),
      createSecrets: flag(read, 'createSecrets', false),
      deletionProtection: flag(read, 'deletionProtection', true),
      reserveConcurrency: flag(read, 'reserveConcurrency', true),
      evaluateConcurrency: wholeNumber(read, 'evaluateConcurrency'),
      logRetention: retention as logs.RetentionDays | undefined,
      logLevel: logLevel as DeployOptions['controller']['logLevel'],
    },
  };
}

function crmOptions(read: ContextReader): CrmDeployOptions | undefined {
  const path = text(read, 'crmConfig');
  if (path === undefined) return undefined;
  const required = (key: ContextKey): string => {
    const value = read(key);
    if (value === undefined || value === null || value === '')
      throw new ConfigError(`context.${key}`, 'is required with crmConfig');
    return String(value);
  };
  return {
    config: readJsonFile(path, 'context.crmConfig'),
    genesysAccountId: required('genesysAccountId'),
    genesysOrgId: required('genesysOrgId'),
  };
}

function drOptions(read: ContextReader): DeployOptions['dr'] {
  const configPath = text(read, 'drConfig');
  const engineers = (text(read, 'drEngineers') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!configPath) {
    if (engineers.length) throw new ConfigError('context.drEngineers', 'is only used with drConfig');
    return undefined;
  }
  if (!engineers.length)
    throw new ConfigError(
      'context.drEngineers',
      'is required with drConfig (IAM user/role ARNs, comma-separated)',
    );
  return { configPath, engineers };
}

/** Reads the DR config file as JSON (DrSwitch validates it with parseDrConfig). */
export function readDrConfigFile(path: string): unknown {
  return readJsonFile(path, 'context.drConfig');
}

function readJsonFile(path: string, key: string): unknown {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(key, `cannot read '${path}': ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(source);
  } catch (cause) {
    throw new ConfigError(key, `'${path}' is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

function edgeOptions(read: ContextReader): EdgeOptions {
  const required = (key: ContextKey): string => {
    const value = text(read, key);
    if (value === undefined) throw new ConfigError(`context.${key}`, 'is required with edge=true');
    return value;
  };
  return {
    originDomainName: required('edgeOriginDomain'),
    supportEmail: required('edgeSupportEmail'),
    faqUrl: required('edgeFaqUrl'),
  };
}

/**
 * Reads the config file as JSON. Validation is `parseConfig`'s job (SurgeController calls it), so a
 * bad key fails synth with the same message the CLI gives; this only names unreadable files.
 */
export function readConfigFile(path: string | undefined): SurgeConfigInput {
  if (path === undefined) return {};
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      'context.config',
      `cannot read config file '${path}': ${(cause as Error).message}`,
      { cause },
    );
  }
  try {
    return JSON.parse(source) as SurgeConfigInput;
  } catch (cause) {
    throw new ConfigError('context.config', `'${path}' is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}
