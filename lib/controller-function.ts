import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import {
  CONFIG_FILE_NAME,
  EnvVar,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../lambdas/adapters/telemetry-names';
import { ACTUATOR_LEASE_MS } from '../lambdas/app/deps';

/** The Lambda runtime both handlers run on (cdk-nag L1 flags NODEJS_22_X as no longer the newest). */
export const CONTROLLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The handlers' Lambda timeout, in seconds. It must be at least the per-actuator lease the handlers
 * take (ACTUATOR_LEASE_MS, 45 s): a holder that dies mid-switch frees the actuator by itself, and
 * the fenced `applied` write refuses a holder whose lease has lapsed.
 */
export const LEASE_SECONDS = 60;
if (LEASE_SECONDS * 1000 < ACTUATOR_LEASE_MS) throw new Error('Lambda timeout must be ≥ the actuator lease');

/**
 * Modules replaced in the Lambda bundle (esbuild aliases). The Genesys SDK builds a winston logger even
 * with logging off, and axios carries form-data (and a 140 KB MIME database) for multipart bodies the
 * controller never sends: silent stand-ins keep the evaluate bundle under 1 MB and the SDK unable to log.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  winston: fileURLToPath(new URL('../lambdas/adapters/genesys/bundle-shims/winston.cjs', import.meta.url)),
  'form-data': fileURLToPath(
    new URL('../lambdas/adapters/genesys/bundle-shims/form-data.cjs', import.meta.url),
  ),
};

/**
 * AWS SDK v3 clients the handlers may take from the Lambda runtime instead of the bundle.
 * The CloudFront KeyValueStore client is deliberately NOT here: it signs with SigV4A, which only works
 * when `@aws-sdk/signature-v4a` registers itself in the same `@smithy/signature-v4` copy the client
 * uses. The runtime's SDK does not do that, so the client and its signer are bundled together.
 */
export const RUNTIME_PROVIDED_SDK = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-secrets-manager',
] as const;

/** esbuild target matching CONTROLLER_RUNTIME. */
export const BUNDLE_TARGET = 'node24';

/**
 * esbuild settings every function of ours shares: CJS (the Genesys and AWS SDKs call require() at load
 * time, which an ESM bundle lacks), minified, with a source map but not the sources, runtime SDK external.
 */
export const BASE_BUNDLING = {
  format: OutputFormat.CJS,
  target: BUNDLE_TARGET,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: [...RUNTIME_PROVIDED_SDK],
};

/**
 * esbuild `define` for a function whose config has no `cloudfront-kvs` actuator: the handler's
 * `process.env.SURGE_BUNDLE_KVS === 'off'` branch becomes constant and esbuild drops the KeyValueStore
 * client and its SigV4A signer (~400 KB) from the bundle (lambdas/handlers/aws-deps.ts).
 */
export const KVS_CLIENT_OFF: Readonly<Record<string, string>> = { 'process.env.SURGE_BUNDLE_KVS': '"off"' };

/**
 * The esbuild options the construct bundles with (minus entry and output), for the tests and benchmarks
 * that build and load the very bundle Lambda runs.
 */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: BUNDLE_TARGET,
  minify: true,
  // As BASE_BUNDLING: a linked source map without the sources (Node reads it at load under LAMBDA_NODE_OPTIONS).
  sourcemap: true,
  sourcesContent: false,
  external: [...RUNTIME_PROVIDED_SDK],
  alias: { ...BUNDLE_ALIASES },
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'silent',
} as const satisfies BuildOptions;

/**
 * NODE_OPTIONS of every function: stack traces in logs point at lambdas/**.ts lines (the bundle ships its
 * source map). Node then reads and parses the map when it loads the bundle, so this is part of the cold load.
 */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/**
 * The Genesys SDK classes (lambdas/adapters/genesys/genesys-sdk.ts) travel as a file of their own next to
 * the controller functions' handler bundle: the bundle keeps `require("./genesys-sdk")` (external) and
 * Node reads and compiles the file on the first Genesys call. A cold start that calls no Genesys API (most
 * evaluations) never loads the SDK and axios, about half of the evaluate bundle, nor parses their part of
 * the source map (docs/architecture.md#cold-start).
 */
export const GENESYS_SDK_IMPORT = './genesys-sdk';
/** The Genesys SDK file's name next to the handler bundle. */
export const GENESYS_SDK_FILE = 'genesys-sdk.js';
const GENESYS_SDK_ENTRY = fileURLToPath(
  new URL('../lambdas/adapters/genesys/genesys-sdk.ts', import.meta.url),
);

/** LAMBDA_ESBUILD_OPTIONS for a controller function's handler bundle: the Genesys SDK left out (GENESYS_SDK_IMPORT). */
export const CONTROLLER_ESBUILD_OPTIONS = {
  ...LAMBDA_ESBUILD_OPTIONS,
  external: [...RUNTIME_PROVIDED_SDK, GENESYS_SDK_IMPORT],
} as const satisfies BuildOptions;

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * The shell command that writes the Genesys SDK file (GENESYS_SDK_FILE) into `outputDir`: the project's
 * own esbuild CLI with LAMBDA_ESBUILD_OPTIONS' settings. The construct runs it after bundling; the tests
 * and benchmarks that load a controller bundle run the same command.
 */
export function genesysSdkBuildCommand(outputDir: string): string {
  const esbuild = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');
  const o = LAMBDA_ESBUILD_OPTIONS;
  return [
    esbuild,
    GENESYS_SDK_ENTRY,
    '--bundle',
    `--platform=${o.platform}`,
    `--format=${o.format}`,
    `--target=${o.target}`,
    '--minify',
    '--sourcemap',
    '--sources-content=false',
    ...o.external.map((m) => `--external:${m}`),
    ...Object.entries(o.alias).map(([from, to]) => `--alias:${from}=${to}`),
    '--log-override:empty-import-meta=silent',
    '--log-level=warning',
    `--outfile=${join(outputDir, GENESYS_SDK_FILE)}`,
  ]
    .map(shellQuote)
    .join(' ');
}

/** DynamoDB actions the handlers use on the state table (queue state, actuators, leases, pages). */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** CloudFront KeyValueStore data-plane actions a flag writer needs: read the ETag, write, read back. */
export const KVS_FLAG_WRITER_ACTIONS = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:GetKey',
  'cloudfront-keyvaluestore:PutKey',
] as const;

export interface ControllerFunctionProps {
  /** Absolute path of the handler module (exports `handler`). */
  readonly entry: string;
  /** One line for the console and the role. */
  readonly description: string;
  /**
   * Path of the user's validated config file, copied into the asset as CONFIG_FILE_NAME (see
   * stageConfigFile). @default none: the function does not read the controller config
   */
  readonly configFile?: string;
  /** Log retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** Removal policy of the log group. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Reserved concurrency; `undefined` leaves the function on the account's unreserved pool. */
  readonly reservedConcurrentExecutions?: number;
  /** @default 512 — CPU scales with memory; the Genesys SDK's cold start is CPU-bound. */
  readonly memorySize?: number;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: string;
  /**
   * Bundle the CloudFront KeyValueStore client (only functions whose config has a `cloudfront-kvs`
   * actuator need it). @default true
   */
  readonly withKvsClient?: boolean;
  /** Async invocation retries by Lambda after a handler error. */
  readonly retryAttempts: number;
  /** How long Lambda keeps an async event (including throttled ones) before giving up. */
  readonly maxEventAge: Duration;
  /** Where failed async events go (the original event as the message body). @default none */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Ship the Genesys SDK file (GENESYS_SDK_FILE) beside the handler: only functions that call Genesys
   * need it (send-pages does not). @default true
   */
  readonly callsGenesys?: boolean;
}

/**
 * One controller Lambda: a bundled NodejsFunction with its own role (no managed policies), its own
 * log group, and intent-named binders that set the env var and the least-privilege grant together.
 */
export class ControllerFunction extends Construct {
  readonly function: NodejsFunction;
  /** The handler module bundled. */
  readonly entry: string;
  /** Whether GENESYS_SDK_FILE ships beside the handler (ControllerFunctionProps.callsGenesys). */
  readonly shipsGenesysSdk: boolean;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ControllerFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    this.shipsGenesysSdk = props.callsGenesys ?? true;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: logs only to this function's log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (cx-surge-controller)`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: CONTROLLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(LEASE_SECONDS),
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      deadLetterQueue: props.deadLetterQueue,
      awsSdkConnectionReuse: false,
      environment: {
        ...(props.configFile ? { [EnvVar.SurgeConfigFile]: CONFIG_FILE_NAME } : {}),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      },
      bundling: {
        ...BASE_BUNDLING,
        externalModules: [
          ...BASE_BUNDLING.externalModules,
          ...(this.shipsGenesysSdk ? [GENESYS_SDK_IMPORT] : []),
        ],
        // The config travels as a file in the asset, not in an env var (4 KB for all of them): a
        // 5,000-queue config deploys. The asset hash covers it, so a config change redeploys the code.
        // The Genesys SDK file is written next to the handler (GENESYS_SDK_IMPORT).
        commandHooks: controllerHooks(props.configFile, this.shipsGenesysSdk),
        ...(props.withKvsClient === false ? { define: { ...KVS_CLIENT_OFF } } : {}),
        // The Genesys adapter reads import.meta.url only when `require` is missing (ESM under tsx);
        // in this CJS bundle `require` exists, so the empty import.meta is never reached.
        esbuildArgs: {
          '--log-override:empty-import-meta': 'silent',
          ...Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
        },
      },
    });
  }

  /** Read/write the state table: sets STATE_TABLE_NAME and grants exactly STATE_TABLE_ACTIONS on it. */
  bindStateTable(table: dynamodb.ITable): this {
    this.function.addEnvironment(EnvVar.StateTableName, table.tableName);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...STATE_TABLE_ACTIONS], resources: [table.tableArn] }),
    );
    // A customer-managed table key needs the data-key actions; the AWS-managed key needs nothing.
    table.encryptionKey?.grant(this.role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    return this;
  }

  /** Publish QueueObservation events: sets EVENT_BUS_NAME and grants events:PutEvents on that bus only. */
  bindObservationBus(bus: events.IEventBus): this {
    this.function.addEnvironment(EnvVar.EventBusName, bus.eventBusName);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }),
    );
    return this;
  }

  /** Send pages: sets PAGER_TOPIC_ARN and grants sns:Publish on the topic plus the topic key's data-key use. */
  bindPagerTopic(topic: sns.ITopic, topicKey: kms.IKey): this {
    this.function.addEnvironment(EnvVar.PagerTopicArn, topic.topicArn);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    // SNS encrypts with a data key generated on the publisher's behalf: exactly these two actions.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [topicKey.keyArn],
      }),
    );
    return this;
  }

  /** Read the Genesys OAuth client secrets (names come from config; no value ever in env or template). */
  bindGenesysSecrets(secretArns: readonly string[]): this {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...secretArns] }),
    );
    return this;
  }
}

/**
 * Largest config file we deploy. Lambda allows 250 MB of unzipped code; a 5,000-queue config with
 * UUID ids and names is ~0.5 MB. The bound only stops a runaway generated file early, with a message.
 */
export const MAX_CONFIG_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Writes the validated config (compact JSON) where bundling can pick it up: a content-addressed file
 * under `dir` (the cloud assembly's folder when there is one), so equal configs share one file.
 */
export function stageConfigFile(configJson: string, dir: string = tmpdir(), prefix = 'surge-config'): string {
  const digest = createHash('sha256').update(configJson).digest('hex').slice(0, 16);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${prefix}-${digest}.json`);
  writeFileSync(path, configJson, 'utf8');
  return path;
}

/** A controller function's command hooks: the Genesys SDK file, and the config file when there is one. */
function controllerHooks(configFile: string | undefined, genesysSdk: boolean) {
  const config = configFile ? configFileHooks(configFile) : undefined;
  return {
    beforeBundling: (): string[] => [],
    beforeInstall: (): string[] => [],
    afterBundling: (inputDir: string, outputDir: string): string[] => [
      ...(config ? config.afterBundling(inputDir, outputDir) : []),
      ...(genesysSdk ? [genesysSdkBuildCommand(outputDir)] : []),
    ],
  };
}

/** NodejsFunction command hooks that copy `configFile` into the bundle output as `name`. */
export function configFileHooks(configFile: string, name: string = CONFIG_FILE_NAME) {
  const quote = (p: string) => `"${p.replaceAll('"', '\\"')}"`;
  const copy = process.platform === 'win32' ? 'copy /Y' : 'cp';
  return {
    beforeBundling: (): string[] => [],
    beforeInstall: (): string[] => [],
    afterBundling: (_inputDir: string, outputDir: string): string[] => [
      `${copy} ${quote(configFile)} ${quote(join(outputDir, name))}`,
    ],
  };
}

/**
 * ARN of a secret referenced by name. Secrets Manager appends `-` and six random characters to the
 * name; `??????` matches exactly those (never a longer name that merely shares the prefix).
 */
export function secretArnFromName(scope: Construct, secretName: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretName}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
