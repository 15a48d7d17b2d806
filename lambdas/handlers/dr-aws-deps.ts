// Builds the DR switchover's dependencies for AWS: the state table, both orgs' secrets from Secrets
// Manager (the backup org logs in with its break-glass client only), and a pager that stages pages in
// the outbox (the poller's sender delivers them) and, in the Lambda, also sends them through SNS.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoBreakerStore, OutboxPager } from '../adapters/dynamodb';
import { DynamoDrRunStore } from '../adapters/dynamodb/dr-run-store';
import { stateTable } from '../adapters/dynamodb/items';
import { DynamoPageOutbox } from '../adapters/dynamodb/page-outbox';
import { breakGlassOnly, GenesysDrOrg } from '../adapters/genesys/dr-org';
import type { GatewayOptions } from '../adapters/genesys/sdk';
import { SecretsManagerCredentialsSource } from '../adapters/secrets';
import { SharedBreakers } from '../app/breaker';
import type { AppLogger } from '../app/deps';
import type { DrDeps } from '../app/dr-switchover';
import type { DrConfig, DrOrgConfig } from '../core/dr-config';
import { BACKUP_BREAKER } from '../core/dr-ports';
import type { Clock, CredentialsSource, Page, Pager } from '../core/ports';

export const systemClock: Clock = { now: () => Date.now() };
const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface AwsDrDepsOptions {
  readonly config: DrConfig;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly owner: string;
  /** Delivers pages after staging them (SNS in the Lambda); absent: staged only, the poller sends them. */
  readonly transport?: Pager;
  /** Credentials per org; default Secrets Manager with the names in the DR config. */
  readonly credentials?: (org: 'primary' | 'backup', config: DrOrgConfig) => CredentialsSource;
  /** Send each org's calls here instead of its region (e.g. `surge emulator` instances). */
  readonly gateways?: {
    readonly primary?: string | GatewayOptions;
    readonly backup?: string | GatewayOptions;
  };
  /** Logs breaker transitions. @default warnings and errors to stderr */
  readonly log?: AppLogger;
}

const stderrLog: AppLogger = {
  info: () => {},
  warn: (message, extra) => process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...extra })}\n`),
  error: (message, extra) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', message, ...extra })}\n`),
};

const secretsOf = (_org: 'primary' | 'backup', org: DrOrgConfig): CredentialsSource =>
  new SecretsManagerCredentialsSource({
    primarySecret: org.credentialsSecret,
    breakGlassSecret: org.breakGlassSecret,
  });

/** Stages every page in the outbox; delivery is the sender's (the poller retries pending pages). */
export class StagingPager implements Pager {
  constructor(
    private readonly outbox: DynamoPageOutbox,
    private readonly clock: Clock,
  ) {}
  async send(page: Page): Promise<void> {
    await this.outbox.recordNew(page, this.clock.now());
  }
}

export function awsDrDeps(options: AwsDrDepsOptions): DrDeps {
  const { config } = options;
  const table = stateTable({ client: options.dynamo, tableName: options.tableName, clock: systemClock });
  const outbox = new DynamoPageOutbox(table);
  const credentials = options.credentials ?? secretsOf;
  // Backup-org calls share the `genesys-backup` breaker with every other container and the CLI: when the
  // backup org is down, assertions fail fast (backup-org-reachable) instead of waiting out each call.
  const breakers = new SharedBreakers({
    store: new DynamoBreakerStore(table),
    clock: systemClock,
    pages: { stage: (page) => outbox.recordNew(page, systemClock.now()) },
    log: options.log ?? stderrLog,
    owner: () => options.owner,
  });
  const org = (which: 'primary' | 'backup', source: CredentialsSource) =>
    new GenesysDrOrg({
      credentials: source,
      clock: systemClock,
      region: config[which].region,
      ...(options.gateways?.[which] ? { gateway: options.gateways[which] } : {}),
      requestsPerMinute: config.rateLimits.requestsPerMinute,
      ivrPutsPerMinute: config.rateLimits.ivrPutsPerMinute,
      burst: config.rateLimits.burst,
      ...(which === 'backup'
        ? { guard: <T>(call: () => Promise<T>) => breakers.run(BACKUP_BREAKER, call) }
        : {}),
    });
  return {
    config,
    primary: org('primary', credentials('primary', config.primary)),
    backup: org('backup', breakGlassOnly(credentials('backup', config.backup))),
    store: new DynamoDrRunStore(table),
    pager: options.transport
      ? new OutboxPager(outbox, options.transport, systemClock)
      : new StagingPager(outbox, systemClock),
    clock: systemClock,
    sleep: realSleep,
    owner: options.owner,
  };
}
