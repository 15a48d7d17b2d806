// Builds the controller's dependencies from the Lambda environment: AWS adapters, one Genesys session
// (its token outlives invocations), config parsed once. Nothing here runs until the first invocation,
// so importing a handler (tests, the drill) never needs AWS environment variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsClientConfig } from '../adapters/aws/client-config';
import { createDynamoPersistence } from '../adapters/dynamodb';
import { EventBridgeObservationPublisher } from '../adapters/eventbridge/observation-publisher';
import { SecretsManagerCredentialsSource } from '../adapters/secrets';
import { EnvVar } from '../adapters/telemetry-names';
import { SharedBreakers } from '../app/breaker';
import type { PollerDeps } from '../app/deps';
import { guardObservations, guardSwitch, StagingPager } from '../app/resilience';
import { notifyOnlySwitch, SwitchRouter } from '../app/switch-router';
import type { Telemetry } from '../app/telemetry';
import { parseConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import type { Clock, ObservationSource, SurgeSwitch } from '../core/ports';

const systemClock: Clock = { now: () => Date.now() };

/** Runs `load` once, on first use, and shares its promise. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigError(name, 'environment variable is not set (the CDK construct sets it)');
  return value;
}

function configFromEnv() {
  const raw = process.env[EnvVar.SurgeConfig] ?? '{}';
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(EnvVar.SurgeConfig, 'is not valid JSON', { cause });
  }
  return parseConfig(json);
}

export function awsControllerDeps(telemetry: Telemetry, requestId: () => string): PollerDeps {
  const config = configFromEnv();
  const persistence = createDynamoPersistence({
    client: new DynamoDBClient(awsClientConfig()),
    tableName: requiredEnv(EnvVar.StateTableName),
    clock: systemClock,
  });
  const credentials = new SecretsManagerCredentialsSource({
    primarySecret: config.genesys.credentialsSecret,
    ...(config.genesys.breakGlassSecret ? { breakGlassSecret: config.genesys.breakGlassSecret } : {}),
    onStaleServed: (secretName) =>
      telemetry.warn('Secrets Manager failed; serving cached credentials', { secretName }),
  });
  // The Genesys SDK and the KeyValueStore client are loaded on first use, not at cold start: most
  // evaluations switch nothing (2 DynamoDB calls, no Genesys call) and never pay for them.
  const genesys = once(async () =>
    (await import('../adapters/genesys')).createGenesys({
      credentials,
      clock: systemClock,
      region: config.genesys.region,
    }),
  );
  // Pages are only staged here; the page sender Lambda delivers them (docs/resilience.md).
  const pager = new StagingPager(persistence.outbox, systemClock);
  // Every Genesys call (observations and every lever) goes through the shared `genesys` breaker, the
  // KeyValueStore through `kvs`; the poller probes both when they are due.
  const breakers = new SharedBreakers({
    store: persistence.breakers,
    clock: systemClock,
    pages: pager,
    log: telemetry,
    owner: requestId,
  });
  const genesysSwitch = guardSwitch(breakers, 'genesys', {
    apply: async (...args) => (await genesys()).switch.apply(...args),
  });
  const observations: ObservationSource = guardObservations(breakers, 'genesys', {
    read: async (...args) => (await genesys()).observations.read(...args),
  });
  const kvsArn = process.env[EnvVar.EdgeKvsArn];
  const kvsModule = once(() => import('../adapters/cloudfront-kvs'));
  const kvs = once(async () => (await kvsModule()).createKvsSwitch({ kvsArn: kvsArn ?? '' }));
  const kvsProbe = once(async () => (await kvsModule()).createKvsProbe({ kvsArn: kvsArn ?? '' }));
  const byType: Record<string, SurgeSwitch> = {
    'datatable-row': genesysSwitch,
    'emergency-group': genesysSwitch,
    'flow-publish': genesysSwitch,
    'notify-only': notifyOnlySwitch,
    ...(kvsArn
      ? {
          'cloudfront-kvs': guardSwitch(breakers, 'kvs', {
            apply: async (...args) => (await kvs()).apply(...args),
          }),
        }
      : {}),
  };
  const busName = process.env[EnvVar.EventBusName];
  return {
    config,
    actuators: config.actuators,
    queueStates: persistence.queues,
    overrides: persistence.overrides,
    actuatorStore: persistence.actuators,
    pager,
    switches: new SwitchRouter(byType),
    clock: systemClock,
    owner: requestId,
    log: telemetry,
    resilience: {
      breakers,
      probes: {
        genesys: async () => (await genesys()).healthProbe(),
        ...(kvsArn ? { kvs: async () => (await kvsProbe())() } : {}),
      },
      watched: ['genesys', ...(kvsArn ? ['kvs'] : [])],
    },
    observations,
    publisher: busName
      ? new EventBridgeObservationPublisher(busName, new EventBridgeClient(awsClientConfig()))
      : {
          publish: () =>
            Promise.reject(new ConfigError(EnvVar.EventBusName, 'not set: this Lambda does not publish')),
        },
  };
}
