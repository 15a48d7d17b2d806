// Builds the DR switchover's dependencies for AWS: the state table, both orgs' secrets from Secrets
// Manager (the backup org logs in with its break-glass client only), and a pager that stages pages in
// the outbox (the poller's sender delivers them) and, in the Lambda, also sends them through SNS.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OutboxPager } from '../adapters/dynamodb';
import { DynamoDrRunStore } from '../adapters/dynamodb/dr-run-store';
import { stateTable } from '../adapters/dynamodb/items';
import { DynamoPageOutbox } from '../adapters/dynamodb/page-outbox';
import { breakGlassOnly, GenesysDrOrg } from '../adapters/genesys/dr-org';
import type { GatewayOptions } from '../adapters/genesys/sdk';
import { SecretsManagerCredentialsSource } from '../adapters/secrets';
import type { DrDeps } from '../app/dr-switchover';
import type { DrConfig, DrOrgConfig } from '../core/dr-config';
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
  /** Runs every backup-org call (the shared `genesys-backup` circuit breaker, docs/dr.md). */
  readonly backupGuard?: <T>(call: () => Promise<T>) => Promise<T>;
}

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
  const org = (which: 'primary' | 'backup', source: CredentialsSource) =>
    new GenesysDrOrg({
      credentials: source,
      clock: systemClock,
      region: config[which].region,
      ...(options.gateways?.[which] ? { gateway: options.gateways[which] } : {}),
      requestsPerMinute: config.rateLimits.requestsPerMinute,
      ivrPutsPerMinute: config.rateLimits.ivrPutsPerMinute,
      burst: config.rateLimits.burst,
      ...(which === 'backup' && options.backupGuard ? { guard: options.backupGuard } : {}),
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
