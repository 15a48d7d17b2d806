// Lambda entry: dr-switch (docs/dr.md). Invoked by the CLI (`cx-surge dr … --via-lambda`), by the
// emergency-access role, and daily by the readiness schedule. The DR config is bundled into the code
// at synth (esbuild define of process.env.SURGE_DR_CONFIG): a DID list does not fit Lambda's 4 KB env.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { SnsPager } from '../adapters/sns';
import { EnvVar } from '../adapters/telemetry-names';
import type { DrDeps } from '../app/dr-switchover';
import { parseDrConfig } from '../core/dr-config';
import { ConfigError } from '../core/errors';
import { awsDrDeps } from './dr-aws-deps';
import { handleDrEvent } from './dr-switch-handler';

let requestId = 'dr-switch';
let deps: DrDeps | undefined;

function loadDeps(): DrDeps {
  const raw = process.env.SURGE_DR_CONFIG;
  const tableName = process.env[EnvVar.StateTableName];
  const topicArn = process.env[EnvVar.PagerTopicArn];
  if (!raw)
    throw new ConfigError('SURGE_DR_CONFIG', 'no DR config was bundled (deploy with -c drConfig=FILE)');
  if (!tableName) throw new ConfigError(EnvVar.StateTableName, 'environment variable is not set');
  return awsDrDeps({
    config: parseDrConfig(JSON.parse(raw)),
    dynamo: new DynamoDBClient({}),
    tableName,
    owner: `dr-switch ${requestId}`,
    ...(topicArn ? { transport: new SnsPager({ client: new SNSClient({}), topicArn }) } : {}),
  });
}

export const handler = async (event: unknown, context?: Context) => {
  requestId = context?.awsRequestId ?? requestId;
  deps ??= loadDeps();
  const requestedBy = (event as { requestedBy?: unknown } | null)?.requestedBy;
  return handleDrEvent(
    {
      ...deps,
      owner:
        typeof requestedBy === 'string'
          ? `${requestedBy} via dr-switch ${requestId}`
          : `dr-switch ${requestId}`,
    },
    event,
  );
};
