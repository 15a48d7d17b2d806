// Where `cx-surge status | override | console` operate: the deployed stack (default AWS credential chain;
// the table and the poller found from the CloudFormation stack's outputs; the config the Lambdas run
// with), or any DynamoDB endpoint (`--endpoint-url`, as the AWS CLI; e.g. what `cx-surge drill --serve`
// prints), optionally with the Genesys API it switches (`--genesys-url`, the drill's emulator).
import { userInfo } from 'node:os';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DEFAULT_EMULATOR_CLIENTS, SURGE_CONTROL_TABLE } from '../../drill/genesys-emulator/emulator';
import { readDeployedConfig } from '../../lambdas/adapters/aws/deployed-config';
import { createDynamoPersistence, DynamoBreakerStore, stateTable } from '../../lambdas/adapters/dynamodb';
import { OutboxPager } from '../../lambdas/adapters/dynamodb/outbox-pager';
import { DynamoPageOutbox } from '../../lambdas/adapters/dynamodb/page-outbox';
import { listOutboxEntries } from '../../lambdas/adapters/dynamodb/page-reader';
import { createGenesys } from '../../lambdas/adapters/genesys';
import { CONFIG_FILE_NAME } from '../../lambdas/adapters/telemetry-names';
import type { ControllerDeps } from '../../lambdas/app/deps';
import { type ApplyNow, convergeNow, type OperatorPorts } from '../../lambdas/app/operate';
import { notifyOnlySwitch, SwitchRouter } from '../../lambdas/app/switch-router';
import { actuatorsForDrill } from '../../lambdas/core/actuator-plan';
import { DEFAULT_CONFIG, parseConfigText, type SurgeConfig } from '../../lambdas/core/config';
import { SwitchError } from '../../lambdas/core/errors';
import type { BreakerView } from '../../lambdas/core/operator-status';
import type { Clock, Page, SurgeSwitch } from '../../lambdas/core/ports';
import { isoInstant } from '../../lambdas/core/time';
import { readText, UsageError } from './io';

/** The flags every operating command takes. */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  table: { type: 'string' },
  'genesys-url': { type: 'string' },
  config: { type: 'string' },
} as const;

export const TARGET_HELP = `where (default: the deployed stack, with the default AWS credential chain):
  --stack NAME          CloudFormation stack (default: CxSurgeController); its outputs name the table and the poller
  --region R            AWS region (default: the SDK's, e.g. AWS_REGION or your profile)
  --endpoint-url URL    any DynamoDB endpoint instead (e.g. the one cx-surge drill --serve prints); needs --table
  --table NAME          the state table at --endpoint-url
  --genesys-url URL     the Genesys API to switch levers at when applying an override (the drill's emulator)
  --config FILE.json    the controller config (default: the deployed Lambdas' own; locally the built-in defaults)`;

export interface TargetValues {
  stack?: string;
  region?: string;
  'endpoint-url'?: string;
  table?: string;
  'genesys-url'?: string;
  config?: string;
}

export interface OperatorTarget {
  readonly ports: OperatorPorts;
  readonly applyNow: ApplyNow;
  /** Who the caller is: the STS ARN against AWS, `local:<user>` against an endpoint. */
  identity(): Promise<string>;
  /** One line: where this operates. */
  readonly where: string;
  close(): void;
}

export const DEFAULT_STACK = 'CxSurgeController';
const wallClock: Clock = { now: () => Date.now() };

function breakerViews(store: DynamoBreakerStore): () => Promise<BreakerView[]> {
  return async () =>
    (await store.list()).map((b) => {
      const s = b.state;
      const since = s.status === 'closed' ? undefined : isoInstant(s.openedAt);
      const detail =
        s.status === 'closed'
          ? `${s.consecutiveFailures} consecutive failures`
          : s.status === 'open'
            ? `open until ${isoInstant(s.openUntil)}${s.cause.lastError ? `; last error: ${s.cause.lastError}` : ''}`
            : `probing (${s.probeSuccesses} successful probes)`;
      return { name: b.name, state: s.status, ...(since ? { since } : {}), detail };
    });
}

async function configFrom(values: TargetValues, fallback: () => Promise<SurgeConfig>): Promise<SurgeConfig> {
  if (values.config) return parseConfigText(await readText(values.config), values.config);
  return fallback();
}

/** Opens the target the flags name. Throws UsageError for bad flag combinations (exit 2). */
export async function openTarget(values: TargetValues): Promise<OperatorTarget> {
  const endpoint = values['endpoint-url'];
  if (endpoint !== undefined) return openLocal(values, endpoint);
  if (values.table !== undefined)
    throw new UsageError('--table needs --endpoint-url (the deployed table is found from --stack)');
  if (values['genesys-url'] !== undefined)
    throw new UsageError(
      '--genesys-url needs --endpoint-url (the deployed poller switches with its own credentials)',
    );
  return openAws(values);
}

async function openLocal(values: TargetValues, endpoint: string): Promise<OperatorTarget> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint-url must be a URL like http://127.0.0.1:8000, got '${endpoint}'`);
  }
  if (!values.table)
    throw new UsageError('--endpoint-url needs --table NAME (the drill --serve prints both)');
  const config = await configFrom(values, async () => DEFAULT_CONFIG);
  // Against the drill's stand-ins the config's levers, or the drill's default surge-control rows.
  const actuators = actuatorsForDrill(config, SURGE_CONTROL_TABLE);
  const client = new DynamoDBClient({
    endpoint: url.toString().replace(/\/$/, ''),
    region: values.region ?? process.env.AWS_REGION ?? 'us-east-1',
    // A local endpoint accepts any credentials; never send real ones to it.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const table = stateTable({ client, tableName: values.table, clock: wallClock });
  const persistence = createDynamoPersistence({ client, tableName: values.table, clock: wallClock });
  // Staged operator pages are claimable at once: whoever runs the next tick delivers them.
  const outbox = new DynamoPageOutbox(table, { claimMs: 1 });
  const genesysUrl = values['genesys-url'];
  const applyNow: ApplyNow = genesysUrl
    ? localConverge(config, actuators, persistence, outbox, genesysUrl)
    : {
        how: 'nothing (no --genesys-url)',
        apply: async () =>
          'written; no --genesys-url, so the levers switch at the next tick of whatever polls this table',
      };
  return {
    ports: {
      config,
      actuators,
      queueStates: persistence.queues,
      overrides: persistence.overrides,
      actuatorStore: persistence.actuators,
      outbox,
      listPages: () => listOutboxEntries(table),
      listBreakers: breakerViews(new DynamoBreakerStore(table)),
      clock: wallClock,
    },
    applyNow,
    identity: async () => `local:${process.env.USER ?? userInfo().username}`,
    where: `${endpoint} table ${values.table}${genesysUrl ? `, Genesys at ${genesysUrl}` : ''}`,
    close: () => client.destroy(),
  };
}

/** Pages are left in the outbox for the poller: the CLI holds no pager credentials. */
const leaveForThePoller: { send(page: Page): Promise<void> } = {
  send: async () => {
    throw new Error('delivered by the poller');
  },
};

/** Switches for the local converge: Genesys levers at --genesys-url; the KVS flag is the poller's. */
function localSwitches(genesysSwitch: SurgeSwitch): SwitchRouter {
  const kvsElsewhere: SurgeSwitch = {
    apply: async (actuator) => {
      throw new SwitchError(`${actuator.id}: cloudfront-kvs levers are switched by the poller, not the CLI`);
    },
  };
  return new SwitchRouter({
    'datatable-row': genesysSwitch,
    'emergency-group': genesysSwitch,
    'flow-publish': genesysSwitch,
    'cloudfront-kvs': kvsElsewhere,
    'notify-only': notifyOnlySwitch,
  });
}

function localConverge(
  config: SurgeConfig,
  actuators: ControllerDeps['actuators'],
  persistence: ReturnType<typeof createDynamoPersistence>,
  outbox: DynamoPageOutbox,
  genesysUrl: string,
): ApplyNow {
  // The emulator's published test clients (docs/genesys.md): only ever sent to --genesys-url.
  const credentials = { get: async (which: 'primary' | 'breakGlass') => DEFAULT_EMULATOR_CLIENTS[which] };
  const genesys = createGenesys({ credentials, clock: wallClock, gateway: genesysUrl });
  let n = 0;
  const quiet = { info() {}, warn() {}, error() {} };
  const deps: ControllerDeps = {
    config,
    actuators,
    queueStates: persistence.queues,
    overrides: persistence.overrides,
    actuatorStore: persistence.actuators,
    pager: new OutboxPager(outbox, leaveForThePoller, wallClock),
    switches: localSwitches(genesys.switch),
    clock: wallClock,
    owner: () => `cx-surge-cli-${process.pid}-${++n}`,
    log: quiet,
  };
  return convergeNow(deps, genesysUrl);
}

async function openAws(values: TargetValues): Promise<OperatorTarget> {
  const region = values.region;
  const clientConfig = region ? { region } : {};
  const stackName = values.stack ?? DEFAULT_STACK;
  const cfn = new CloudFormationClient(clientConfig);
  let outputs: Record<string, string>;
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries(
      (Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  } catch (e) {
    throw new UsageError(
      `cannot read stack ${stackName}: ${(e as Error).message} (--stack NAME, --region R, or --endpoint-url for a local table)`,
    );
  } finally {
    cfn.destroy();
  }
  const tableName = outputs.StateTableName;
  const pollFunction = outputs.PollFunctionName;
  if (!tableName)
    throw new UsageError(`stack ${stackName} has no StateTableName output (is it the surge controller?)`);
  const lambda = new LambdaClient(clientConfig);
  const config = await configFrom(values, async () => {
    if (!pollFunction) return DEFAULT_CONFIG;
    const text = await readDeployedConfig(lambda, pollFunction);
    return text ? parseConfigText(text, `${pollFunction}:${CONFIG_FILE_NAME}`) : DEFAULT_CONFIG;
  });
  const client = new DynamoDBClient(clientConfig);
  const table = stateTable({ client, tableName, clock: wallClock });
  const persistence = createDynamoPersistence({ client, tableName, clock: wallClock });
  const applyNow: ApplyNow = {
    how: pollFunction ? `invoking the poller ${pollFunction}` : 'nothing (no PollFunctionName output)',
    apply: async () => {
      if (!pollFunction)
        return 'written; the poller applies it at its next tick (the stack has no PollFunctionName output)';
      const res = await lambda.send(
        new InvokeCommand({ FunctionName: pollFunction, Payload: new TextEncoder().encode('{}') }),
      );
      if (res.FunctionError) {
        throw new Error(
          `the poller failed: ${res.FunctionError} ${new TextDecoder().decode(res.Payload ?? new Uint8Array())}`,
        );
      }
      return `invoked the poller ${pollFunction} once: it re-decided every queue from its state and the overrides, reconciled the levers and delivered the staged pages`;
    },
  };
  return {
    ports: {
      config,
      actuators: config.actuators,
      queueStates: persistence.queues,
      overrides: persistence.overrides,
      actuatorStore: persistence.actuators,
      outbox: new DynamoPageOutbox(table, { claimMs: 1 }),
      listPages: () => listOutboxEntries(table),
      listBreakers: breakerViews(new DynamoBreakerStore(table)),
      clock: wallClock,
    },
    applyNow,
    identity: async () => {
      const sts = new STSClient(clientConfig);
      try {
        const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
        if (!Arn) throw new Error('STS returned no ARN');
        return Arn;
      } finally {
        sts.destroy();
      }
    },
    where: `stack ${stackName} (table ${tableName})`,
    close: () => {
      client.destroy();
      lambda.destroy();
    },
  };
}
