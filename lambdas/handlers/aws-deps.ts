// Builds the controller's dependencies from the Lambda environment: AWS adapters, one Genesys session
// (its token outlives invocations), config parsed once. Nothing here runs until the first invocation,
// so importing a handler (tests, the drill) never needs AWS environment variables.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoPersistence, OutboxPager } from '../adapters/dynamodb';
import { CONFIG_FILE_NAME, EnvVar } from '../adapters/telemetry-names';
import type { PollerDeps } from '../app/deps';
import { notifyOnlySwitch, SwitchRouter } from '../app/switch-router';
import type { Telemetry } from '../app/telemetry';
import { parseConfigText } from '../core/config';
import { ConfigError } from '../core/errors';
import type { Clock, ObservationPublisher, ObservationSource, Pager, SurgeSwitch } from '../core/ports';

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
  const name = process.env[EnvVar.SurgeConfigFile] ?? CONFIG_FILE_NAME;
  const path = isAbsolute(name) ? name : join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(EnvVar.SurgeConfigFile, `cannot read the config file ${path}`, { cause });
  }
  return parseConfigText(text, name);
}

/**
 * Every AWS SDK client the handlers use, each created on first use, all with the same settings from
 * `clientSettings` (the one place for timeouts and retries). Clients other than DynamoDB are imported
 * only when first needed, so a handler loads only what it calls: evaluate never loads EventBridge,
 * and a no-transition evaluation loads neither SNS nor Secrets Manager.
 */
export function clientSettings(): Record<string, unknown> {
  return {};
}
let dynamo: DynamoDBClient | undefined;
/** The DynamoDB client, created at its first call (every invocation needs it, so it is imported eagerly). */
function lazyDynamo(): DynamoDBClient {
  dynamo ??= new DynamoDBClient(clientSettings());
  return dynamo;
}

export function awsControllerDeps(telemetry: Telemetry, requestId: () => string): PollerDeps {
  const config = configFromFile();
  const persistence = createDynamoPersistence({
    client: lazyDynamo(),
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
  const genesysSwitch: SurgeSwitch = { apply: async (...args) => (await genesys()).switch.apply(...args) };
  const observations: ObservationSource = {
    read: async (...args) => (await genesys()).observations.read(...args),
  };
  const kvsArn = process.env[EnvVar.EdgeKvsArn];
  const kvs = once(async () =>
    (await import('../adapters/cloudfront-kvs')).createKvsSwitch({ kvsArn: kvsArn ?? '' }),
  );
  const byType: Record<string, SurgeSwitch> = {
    'datatable-row': genesysSwitch,
    'emergency-group': genesysSwitch,
    'flow-publish': genesysSwitch,
    'notify-only': notifyOnlySwitch,
    ...(kvsArn ? { 'cloudfront-kvs': { apply: async (...args) => (await kvs()).apply(...args) } } : {}),
  };
  const topicArn = requiredEnv(EnvVar.PagerTopicArn);
  const sns = once(async () => {
    const [{ SNSClient }, { SnsPager }] = await Promise.all([
      import('@aws-sdk/client-sns'),
      import('../adapters/sns'),
    ]);
    return new SnsPager({ client: new SNSClient(clientSettings()), topicArn });
  });
  const snsPager: Pager = { send: async (page) => (await sns()).send(page) };
  const pager = new OutboxPager(persistence.outbox, snsPager, systemClock);
  const busName = process.env[EnvVar.EventBusName];
  const eventBridge = once(async () => {
    const [{ EventBridgeClient }, { EventBridgeObservationPublisher }] = await Promise.all([
      import('@aws-sdk/client-eventbridge'),
      import('../adapters/eventbridge/observation-publisher'),
    ]);
    return new EventBridgeObservationPublisher(busName ?? '', new EventBridgeClient(clientSettings()));
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
