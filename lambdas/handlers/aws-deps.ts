// Builds the controller's dependencies from the Lambda environment: AWS adapters, one Genesys session
// (its token outlives invocations), config parsed once. Nothing here runs until the first invocation,
// so importing a handler (tests, the drill) never needs AWS environment variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readBundledFile } from '../adapters/aws/bundled-file';
import { awsClientConfig } from '../adapters/aws/client-config';
import { createDynamoPersistence } from '../adapters/dynamodb';
import { CONFIG_FILE_NAME, EnvVar } from '../adapters/telemetry-names';
import { SharedBreakers } from '../app/breaker';
import type { PollerDeps } from '../app/deps';
import { guardObservations, guardSwitch, StagingPager } from '../app/resilience';
import { notifyOnlySwitch, SwitchRouter } from '../app/switch-router';
import type { Telemetry } from '../app/telemetry';
import { parseConfigText } from '../core/config';
import { ConfigError } from '../core/errors';
import type { Clock, ObservationPublisher, ObservationSource, SurgeSwitch } from '../core/ports';

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

/**
 * The validated config, bundled as a file next to the handler (docs/architecture.md: config bundled
 * with the functions). Read once per container; a bad file fails the invocation with the key named.
 */
function configFromFile() {
  const { text, name } = readBundledFile(EnvVar.SurgeConfigFile, CONFIG_FILE_NAME);
  return parseConfigText(text, name);
}

let dynamo: DynamoDBClient | undefined;
/**
 * The DynamoDB client, shared by every invocation of the container. Every other AWS client is imported
 * only when first needed, so a handler loads only what it calls: evaluate never loads EventBridge, and a
 * no-transition evaluation loads neither Secrets Manager nor the Genesys SDK. All of them take their call
 * budget from awsClientConfig (docs/resilience.md#call-budgets).
 */
function sharedDynamo(): DynamoDBClient {
  dynamo ??= new DynamoDBClient(awsClientConfig());
  return dynamo;
}

export function awsControllerDeps(telemetry: Telemetry, requestId: () => string): PollerDeps {
  const config = configFromFile();
  const persistence = createDynamoPersistence({
    client: sharedDynamo(),
    tableName: requiredEnv(EnvVar.StateTableName),
    clock: systemClock,
  });
  // The Genesys SDK and the KeyValueStore client are loaded on first use, not at cold start: most
  // evaluations switch nothing (2 DynamoDB calls, no Genesys call) and never pay for them.
  const genesys = once(async () => {
    const { SecretsManagerCredentialsSource } = await import('../adapters/secrets');
    const credentials = new SecretsManagerCredentialsSource({
      primarySecret: config.genesys.credentialsSecret,
      ...(config.genesys.breakGlassSecret ? { breakGlassSecret: config.genesys.breakGlassSecret } : {}),
      onStaleServed: (secretName) =>
        telemetry.warn('Secrets Manager failed; serving cached credentials', { secretName }),
    });
    return (await import('../adapters/genesys')).createGenesys({
      credentials,
      clock: systemClock,
      region: config.genesys.region,
    });
  });
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
  // The KeyValueStore client and its SigV4A signer (~400 KB) are bundled only into functions whose config
  // has a cloudfront-kvs actuator (lib/controller-function.ts defines SURGE_BUNDLE_KVS=off for the others,
  // and esbuild drops the import), and loaded on first use. Without such an actuator the store is
  // neither written nor probed, even when an edge is bound for Tier 4.
  const kvsArn = config.actuators.some((a) => a.type === 'cloudfront-kvs')
    ? process.env[EnvVar.EdgeKvsArn]
    : undefined;
  const kvsModule = once(() =>
    process.env.SURGE_BUNDLE_KVS === 'off'
      ? Promise.reject(
          new ConfigError(
            'cloudfront-kvs',
            'this bundle has no KeyValueStore client (no such actuator at synth)',
          ),
        )
      : import('../adapters/cloudfront-kvs'),
  );
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
  const eventBridge = once(async () => {
    const [{ EventBridgeClient }, { EventBridgeObservationPublisher }] = await Promise.all([
      import('@aws-sdk/client-eventbridge'),
      import('../adapters/eventbridge/observation-publisher'),
    ]);
    return new EventBridgeObservationPublisher(busName ?? '', new EventBridgeClient(awsClientConfig()));
  });
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
      ? ({
          publish: async (...args) => (await eventBridge()).publish(...args),
        } satisfies ObservationPublisher)
      : {
          publish: () =>
            Promise.reject(new ConfigError(EnvVar.EventBusName, 'not set: this Lambda does not publish')),
        },
  };
}
