// Builds crm-lookup's dependencies from the Lambda environment, once per container: the CRM config
// (a file bundled with the function, CRM_CONFIG_FILE), the state table (cache, breakers, refusal
// counts, page outbox), secrets by name.
// Nothing here loads the Genesys SDK: the bundle stays small (docs/crm.md).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readBundledFile } from '../adapters/aws/bundled-file';
import { createCrmAdapter, DynamoCrmIncidents, SecretsManagerCrmSecrets } from '../adapters/crm';
import { SharedCrmBreakers } from '../adapters/crm/shared-breakers';
import { CRM_CONFIG_FILE_NAME, CrmEnvVar } from '../adapters/crm/telemetry-names';
import { DynamoBreakerStore } from '../adapters/dynamodb/breaker-store';
import { stateTable } from '../adapters/dynamodb/items';
import { DynamoPageOutbox } from '../adapters/dynamodb/page-outbox';
import { EnvVar } from '../adapters/telemetry-names';
import { SharedBreakers } from '../app/breaker';
import { probeCrm } from '../app/crm-prober';
import type { Telemetry } from '../app/telemetry';
import { cascadePolicy, secondaryPolicy } from '../core/crm/cascade';
import { parseCrmConfig } from '../core/crm/config';
import { ConfigError } from '../core/errors';
import type { Clock } from '../core/ports';
import type { CrmLookupRuntime } from './crm-lookup-handler';

const systemClock: Clock = { now: () => Date.now() };

/** The CRM config bundled with the function as a file (docs/crm.md), validated again at cold start. */
export function crmConfigFromFile(env: Readonly<Record<string, string | undefined>> = process.env) {
  const { text, name } = readBundledFile(CrmEnvVar.CrmConfigFile, CRM_CONFIG_FILE_NAME, env);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(CrmEnvVar.CrmConfigFile, `${name} is not valid JSON`, { cause });
  }
  return parseCrmConfig(json);
}

export function awsCrmLookupRuntime(telemetry: Telemetry, requestId: () => string): CrmLookupRuntime {
  const config = crmConfigFromFile();
  const tableName = process.env[EnvVar.StateTableName];
  if (!tableName)
    throw new ConfigError(
      EnvVar.StateTableName,
      'environment variable is not set (the CDK construct sets it)',
    );
  // Short SDK timeouts: the cache read must fit in the lookup's reserve, never hold the answer up.
  const client = new DynamoDBClient({ maxAttempts: 2 });
  const table = stateTable({ client, tableName, clock: systemClock });
  const outbox = new DynamoPageOutbox(table);
  const shared = new SharedBreakers({
    store: new DynamoBreakerStore(table),
    clock: systemClock,
    // circuit-open pages are staged in the outbox; the poller's sender delivers them.
    pages: { stage: (page) => outbox.recordNew(page, systemClock.now()) },
    log: telemetry,
    owner: requestId,
    policies: { 'crm-primary': cascadePolicy(config), 'crm-secondary': secondaryPolicy(config) },
  });
  const adapter = createCrmAdapter({
    config,
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    secrets: new SecretsManagerCrmSecrets(),
    table,
    breakers: new SharedCrmBreakers(shared),
    log: telemetry,
    incidents: new DynamoCrmIncidents({
      table,
      outbox,
      threshold: config.clientErrorPageThreshold,
      windowSeconds: config.clientErrorWindowSeconds,
    }),
  });
  return {
    lookup: adapter.deps,
    probe: () =>
      probeCrm(shared, {
        primary: (ms) => adapter.primary.probe(ms),
        ...(adapter.secondary
          ? { secondary: (ms: number) => adapter.secondary?.probe(ms) ?? Promise.resolve(false) }
          : {}),
        primaryTimeoutMs: config.primary.callTimeoutMs,
        secondaryTimeoutMs: config.secondary?.callTimeoutMs ?? 1000,
      }),
  };
}
