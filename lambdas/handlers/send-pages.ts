// Lambda entry: send-pages. Table stream (new pages), a 1-minute schedule (sweep) and the controller's
// alarm state changes → PagerDuty Events v2 behind the `pager` breaker, plus plain-text e-mail over SNS.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '../adapters/aws/client-config';
import { createDynamoPersistence } from '../adapters/dynamodb';
import { PagerDutyEventsClient } from '../adapters/pagerduty/events-v2';
import { SecretsManagerRoutingKey } from '../adapters/pagerduty/routing-key';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry';
import { SnsPager } from '../adapters/sns/sns-pager';
import { EnvVar } from '../adapters/telemetry-names';
import { SharedBreakers } from '../app/breaker';
import { PageSender } from '../app/send-pages';
import { ConfigError } from '../core/errors';
import type { Clock } from '../core/ports';
import { createSendPagesHandler, type SendPagesDeps } from './send-pages-handler';

const telemetry = new PowertoolsTelemetry();
const clock: Clock = { now: () => Date.now() };
let requestId = 'send-pages';
let deps: SendPagesDeps | undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigError(name, 'environment variable is not set (the CDK construct sets it)');
  return value;
}

function build(): SendPagesDeps {
  const persistence = createDynamoPersistence({
    client: new DynamoDBClient(awsClientConfig()),
    tableName: required(EnvVar.StateTableName),
    clock,
  });
  const email = new SnsPager({
    client: new SNSClient(awsClientConfig()),
    topicArn: required(EnvVar.PagerTopicArn),
  });
  const routingKeySecret = process.env[EnvVar.PagerDutyRoutingKeySecret];
  const pagerDuty = routingKeySecret
    ? new PagerDutyEventsClient({
        routingKey: new SecretsManagerRoutingKey({ secretName: routingKeySecret }),
        ...(process.env[EnvVar.PagerDutyEventsUrl] ? { url: process.env[EnvVar.PagerDutyEventsUrl] } : {}),
      })
    : undefined;
  const stage = (page: Parameters<SendPagesDeps['stage']>[0]) =>
    persistence.outbox.recordNew(page, clock.now());
  const breakers = new SharedBreakers({
    store: persistence.breakers,
    clock,
    pages: { stage },
    log: telemetry,
    owner: () => requestId,
  });
  return {
    // Without PagerDuty configured, e-mail is the channel the `pager` breaker protects.
    sender: new PageSender({
      outbox: persistence.outbox,
      pagerDuty: pagerDuty ?? email,
      ...(pagerDuty ? { email } : {}),
      breakers,
      clock,
      log: telemetry,
    }),
    stage,
    backlog: () => persistence.outbox.backlog(),
    clock,
  };
}

const send = createSendPagesHandler(() => (deps ??= build()), telemetry);

export const handler = async (event: unknown, context?: Context) => {
  requestId = context?.awsRequestId ?? requestId;
  if (context) telemetry.logger.addContext(context);
  return send(event);
};
