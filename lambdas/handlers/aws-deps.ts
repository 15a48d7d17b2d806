// Builds the controller's dependencies from the Lambda environment: AWS adapters, one Genesys session
// (its token outlives invocations), config parsed once. Nothing here runs until the first invocation,
// so importing a handler (tests, the drill) never needs AWS environment variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { createKvsSwitch } from '../adapters/cloudfront-kvs';
import { createDynamoPersistence, OutboxPager } from '../adapters/dynamodb';
import { EventBridgeObservationPublisher } from '../adapters/eventbridge/observation-publisher';
import { createGenesys } from '../adapters/genesys';
import { SecretsManagerCredentialsSource } from '../adapters/secrets';
import { SnsPager } from '../adapters/sns';
import { EnvVar } from '../adapters/telemetry-names';
import type { PollerDeps } from '../app/deps';
import { notifyOnlySwitch, SwitchRouter } from '../app/switch-router';
import type { Telemetry } from '../app/telemetry';
import { parseConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import type { Clock, SurgeSwitch } from '../core/ports';

const systemClock: Clock = { now: () => Date.now() };

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
    client: new DynamoDBClient({}),
    tableName: requiredEnv(EnvVar.StateTableName),
    clock: systemClock,
  });
  const credentials = new SecretsManagerCredentialsSource({
    primarySecret: config.genesys.credentialsSecret,
    ...(config.genesys.breakGlassSecret ? { breakGlassSecret: config.genesys.breakGlassSecret } : {}),
    onStaleServed: (secretName) =>
      telemetry.warn('Secrets Manager failed; serving cached credentials', { secretName }),
  });
  const genesys = createGenesys({ credentials, clock: systemClock, region: config.genesys.region });
  const kvsArn = process.env[EnvVar.EdgeKvsArn];
  const byType: Record<string, SurgeSwitch> = {
    'datatable-row': genesys.switch,
    'emergency-group': genesys.switch,
    'flow-publish': genesys.switch,
    'notify-only': notifyOnlySwitch,
    ...(kvsArn ? { 'cloudfront-kvs': createKvsSwitch({ kvsArn }) } : {}),
  };
  const pager = new OutboxPager(
    persistence.outbox,
    new SnsPager({ client: new SNSClient({}), topicArn: requiredEnv(EnvVar.PagerTopicArn) }),
    systemClock,
  );
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
    observations: genesys.observations,
    publisher: busName
      ? new EventBridgeObservationPublisher(busName, new EventBridgeClient({}))
      : {
          publish: () =>
            Promise.reject(new ConfigError(EnvVar.EventBusName, 'not set: this Lambda does not publish')),
        },
  };
}
