// Builds crm-lookup's dependencies from the Lambda environment, once per container: the CRM config
// (CRM_CONFIG), the state table (cache, breakers, refusal counts, page outbox), secrets by name.
// Nothing here loads the Genesys SDK: the bundle stays small (docs/crm.md).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCrmAdapter, DynamoCrmIncidents, SecretsManagerCrmSecrets } from '../adapters/crm';
import { InMemoryCrmBreakers } from '../adapters/crm/in-memory-breakers';
import { CrmEnvVar } from '../adapters/crm/telemetry-names';
import { stateTable } from '../adapters/dynamodb/items';
import { DynamoPageOutbox } from '../adapters/dynamodb/page-outbox';
import { EnvVar } from '../adapters/telemetry-names';
import type { CrmLookupDeps } from '../app/crm-lookup';
import type { Telemetry } from '../app/telemetry';
import { parseCrmConfig } from '../core/crm/config';
import { ConfigError } from '../core/errors';
import type { Clock } from '../core/ports';

const systemClock: Clock = { now: () => Date.now() };

export function crmConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env) {
  const raw = env[CrmEnvVar.CrmConfig];
  if (!raw) throw new ConfigError(CrmEnvVar.CrmConfig, 'environment variable is not set (the CDK construct sets it)');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(CrmEnvVar.CrmConfig, 'is not valid JSON', { cause });
  }
  return parseCrmConfig(json);
}

export function awsCrmLookupDeps(telemetry: Telemetry): CrmLookupDeps {
  const config = crmConfigFromEnv();
  const tableName = process.env[EnvVar.StateTableName];
  if (!tableName) throw new ConfigError(EnvVar.StateTableName, 'environment variable is not set (the CDK construct sets it)');
  // Short SDK timeouts: the cache read must fit in the lookup's reserve, never hold the answer up.
  const client = new DynamoDBClient({ maxAttempts: 2 });
  const table = stateTable({ client, tableName, clock: systemClock });
  const breakers = new InMemoryCrmBreakers(config);
  return createCrmAdapter({
    config,
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    secrets: new SecretsManagerCrmSecrets(),
    table,
    breakers,
    log: telemetry,
    incidents: new DynamoCrmIncidents({
      table,
      outbox: new DynamoPageOutbox(table),
      threshold: config.clientErrorPageThreshold,
      windowSeconds: config.clientErrorWindowSeconds,
    }),
  }).deps;
}
