import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Stage, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLE_KEY, TTL_ATTRIBUTE } from '../lambdas/adapters/dynamodb/table-definition';
import { EnvVar, OBSERVATION_BATCH_EVENT, OBSERVATION_EVENT } from '../lambdas/adapters/telemetry-names';
import { parseConfig, type SurgeConfig, type SurgeConfigInput } from '../lambdas/core/config';
import { edgeRefusals, intervalRefusal } from '../lambdas/core/deploy-checks';
import { ConfigError } from '../lambdas/core/errors';
import {
  ControllerFunction,
  KVS_FLAG_WRITER_ACTIONS,
  MAX_CONFIG_FILE_BYTES,
  secretArnFromName,
  stageConfigFile,
} from './controller-function';
import { PageDelivery } from './page-delivery';
import { SurgeMonitoring } from './surge-monitoring';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Handler entries (the Lambda contracts: each exports `handler`). */
export const HANDLER_ENTRIES = {
  pollObservations: join(repoRoot, 'lambdas/handlers/poll-observations.ts'),
  evaluate: join(repoRoot, 'lambdas/handlers/evaluate.ts'),
  sendPages: join(repoRoot, 'lambdas/handlers/send-pages.ts'),
} as const;

/**
 * One poller at a time: a burst of partner-bus events must never fan out into parallel observation
 * queries against Genesys (300 requests/min per token); the next tick covers a throttled one.
 */
export const POLLER_RESERVED_CONCURRENCY = 1;

/**
 * Concurrent evaluations. Most evaluations never call Genesys (no transition); those that do hold a
 * per-actuator lease, so duplicates wait. 5 bounds a burst (a DLQ redrive, many queues crossing a
 * threshold in the same minute) to 5 Genesys callers of ~4 calls each (login, read, write, read-back),
 * well inside the 300 requests/min budget, while 50 queues still evaluate within seconds.
 */
export const EVALUATE_RESERVED_CONCURRENCY = 5;

/** Partner-bus detail-types that signal queue depth changed (the topic pattern, `{id}` literal). */
export const DEFAULT_PARTNER_DETAIL_TYPES = [
  'v2.detail.events.conversation.{id}.acd.start',
  'v2.detail.events.conversation.{id}.acd.end',
] as const;
const PARTNER_BUS_PREFIX = 'aws.partner/genesys.com/';

/**
 * What the controller needs from the edge tiers (lib/edge's SurgeEdge satisfies it): the origin
 * error alarm that drives Tier 4, and a binder that lets a function write the KeyValueStore flags.
 */
export interface SurgeEdgeBinding {
  /** Alarm on the distribution's origin errors; its state changes are recorded as Tier 4. */
  readonly originErrorAlarm: cloudwatch.IAlarm;
  /** Grants `fn` the KVS data-plane actions for the flag store and sets EDGE_KVS_ARN on it. */
  bindFlagWriter(fn: lambda.Function): void;
  /** The flag the edge function reads; when given, `cloudfront-kvs` actuators must write exactly it. */
  readonly flag?: { readonly key: string; readonly activeValue: string; readonly inactiveValue: string };
}

/** Parts of an edge you already run (a distribution alarm and a KeyValueStore), without lib/edge. */
export interface ExistingEdgeProps {
  /** Alarm on the distribution's origin errors (CloudFront metrics live in us-east-1: deploy the controller there). */
  readonly originErrorAlarm: cloudwatch.IAlarm;
  /** ARN of the CloudFront KeyValueStore the `cloudfront-kvs` actuators write. */
  readonly keyValueStoreArn: string;
}

/** An edge binding for an existing alarm and KeyValueStore: grants exactly KVS_FLAG_WRITER_ACTIONS on that store. */
export function existingEdge(props: ExistingEdgeProps): SurgeEdgeBinding {
  return {
    originErrorAlarm: props.originErrorAlarm,
    bindFlagWriter(fn: lambda.Function): void {
      fn.addEnvironment(EnvVar.EdgeKvsArn, props.keyValueStoreArn);
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...KVS_FLAG_WRITER_ACTIONS],
          resources: [props.keyValueStoreArn],
        }),
      );
    },
  };
}

export interface SurgeControllerProps {
  /** The controller config document (the parsed JSON file); validated with `parseConfig`. @default {} (all defaults) */
  readonly config?: SurgeConfigInput;
  /** E-mail address subscribed to the pager topic (confirm the subscription mail). @default no e-mail subscription */
  readonly alertEmail?: string;
  /**
   * Name of the Secrets Manager secret holding the routing key of a PagerDuty "Events API v2" integration
   * (the bare key, or `{ "routingKey": "…" }`). The page sender posts every page and alarm with it.
   * @default no PagerDuty (pages go to e-mail only)
   */
  readonly pagerDutyRoutingKeySecret?: string;
  /** Events API v2 URL. @default https://events.pagerduty.com/v2/enqueue */
  readonly pagerDutyEventsUrl?: string;
  /**
   * Removed: PagerDuty's CloudWatch-style SNS integration URL dropped the controller's own pages (only
   * alarm-shaped messages pass). Synth fails with the replacement when it is given.
   * @deprecated use pagerDutyRoutingKeySecret
   */
  readonly pagerDutyEndpoint?: string;
  /** Genesys Cloud partner event bus name (`aws.partner/genesys.com/cloud/<org>/<suffix>`): its events trigger an extra poll. @default no partner rule */
  readonly partnerEventBusName?: string;
  /** Partner detail-types that trigger a poll. @default DEFAULT_PARTNER_DETAIL_TYPES (acd.start, acd.end) */
  readonly partnerDetailTypes?: readonly string[];
  /** Create the Genesys secrets named in the config (with placeholder values you then replace). @default false (referenced by name) */
  readonly createSecrets?: boolean;
  /** Protect state: table deletion protection, and RETAIN for table, keys, secrets and logs. @default true */
  readonly deletionProtection?: boolean;
  /** Edge tiers: Tier 4 alarm → evaluate, and KVS flag writing for both Lambdas. @default no edge */
  readonly edge?: SurgeEdgeBinding;
  /** Reserve Lambda concurrency (poller 1, evaluate `evaluateConcurrency`); turn off in accounts limited to 10. @default true */
  readonly reserveConcurrency?: boolean;
  /** Reserved concurrency of evaluate. @default EVALUATE_RESERVED_CONCURRENCY (5) */
  readonly evaluateConcurrency?: number;
  /** Log retention of both Lambdas. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Powertools log level of both Lambdas. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Customer-managed key for the state table. @default the AWS-managed key `aws/dynamodb` */
  readonly tableEncryptionKey?: kms.IKey;
  /** CloudWatch dashboard name. @default generated */
  readonly dashboardName?: string;
}

/**
 * The surge controller (docs/architecture.md): schedule → poll-observations → own bus → evaluate, one state
 * table, a KMS-encrypted pager topic, Genesys secrets by name, alarms and a dashboard.
 *
 * ```
 * schedule (intervalSeconds) ─┐
 * partner bus (optional) ─────┴▶ poll-observations ─PutEvents▶ bus ─rule▶ evaluate ─▶ table / Genesys / KVS
 * edge origin alarm (optional) ─ default bus ─rule──────────────────────▶ evaluate      └▶ SNS ▶ e-mail / PagerDuty
 * ```
 */
export class SurgeController extends Construct {
  /** The validated, defaulted config the Lambdas run with. */
  readonly config: SurgeConfig;
  readonly table: dynamodb.Table;
  /** The controller's own bus for QueueObservation events. */
  readonly observationBus: events.EventBus;
  readonly pagerTopic: sns.Topic;
  readonly pagerTopicKey: kms.Key;
  readonly poller: ControllerFunction;
  readonly evaluator: ControllerFunction;
  /** Events evaluate gave up on (target delivery failures and handler failures after retries). */
  readonly evaluateDlq: sqs.Queue;
  /** Pages SNS could not deliver to a subscription. */
  readonly pageDeliveryDlq: sqs.Queue;
  /** ARNs (patterns for by-name references) of the Genesys OAuth client secrets. */
  readonly genesysSecretArns: readonly string[];
  readonly monitoring: SurgeMonitoring;
  /** The page sender (table stream, 1-minute sweep, alarm events → PagerDuty Events v2 and e-mail). */
  readonly pageDelivery: PageDelivery;
  private readonly evaluateTarget: targets.LambdaFunction;
  private edge?: SurgeEdgeBinding;

  constructor(scope: Construct, id: string, props: SurgeControllerProps = {}) {
    super(scope, id);
    const rawConfig = props.config ?? {};
    this.config = parseConfig(rawConfig);
    const configFile = stageConfigFile(
      checkedConfigJson(rawConfig, this.config),
      join(Stage.of(this)?.outdir ?? tmpdir(), 'surge-config'),
    );
    const protect = props.deletionProtection ?? true;
    const statefulRemoval = protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // AWS-managed key by default: encrypted at rest with key use in CloudTrail, no key policy to run;
    // the table holds queue depths and switch state, not customer data. A CMK is one prop away.
    this.table = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.tableEncryptionKey
        ? dynamodb.TableEncryption.CUSTOMER_MANAGED
        : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.tableEncryptionKey,
      // The page sender reads new PAGE items from the stream (docs/resilience.md#page-delivery).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      // Housekeeping only (old pages, expired overrides); locks never rely on TTL deletion.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: protect,
      removalPolicy: statefulRemoval,
    });

    this.observationBus = new events.EventBus(this, 'ObservationBus', {
      description: 'cx-surge-controller: QueueObservation events from poll-observations',
    });

    ({
      topic: this.pagerTopic,
      key: this.pagerTopicKey,
      dlq: this.pageDeliveryDlq,
    } = this.createPager(props, statefulRemoval));
    this.genesysSecretArns = this.genesysSecrets(props.createSecrets ?? false, statefulRemoval);

    // SSE-SQS: EventBridge, Lambda and SNS can all write to it without a key policy.
    this.evaluateDlq = new sqs.Queue(this, 'EvaluateDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const reserve = props.reserveConcurrency ?? true;
    const common = {
      configFile,
      // The KeyValueStore client goes only into functions that can switch a cloudfront-kvs actuator.
      withKvsClient: this.config.actuators.some((a) => a.type === 'cloudfront-kvs'),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      logRemovalPolicy: statefulRemoval,
      logLevel: props.logLevel,
    };
    this.poller = new ControllerFunction(this, 'PollObservations', {
      ...common,
      entry: HANDLER_ENTRIES.pollObservations,
      description:
        'Polls Genesys queue observations, publishes QueueObservation events, reconciles actuators',
      reservedConcurrentExecutions: reserve ? POLLER_RESERVED_CONCURRENCY : undefined,
      // A poll trigger carries no data: a failed or throttled one is superseded by the next tick.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(60),
    });
    this.evaluator = new ControllerFunction(this, 'Evaluate', {
      ...common,
      entry: HANDLER_ENTRIES.evaluate,
      description: 'Evaluates QueueObservation and edge-alarm events: decide, switch under lease, page',
      reservedConcurrentExecutions: reserve
        ? (props.evaluateConcurrency ?? EVALUATE_RESERVED_CONCURRENCY)
        : undefined,
      retryAttempts: 2,
      // An observation older than an hour has been superseded ~60 times; keep it in the DLQ for analysis.
      maxEventAge: Duration.hours(1),
      deadLetterQueue: this.evaluateDlq,
    });
    // No SNS publish here: evaluate and the poller only stage pages; PageDelivery sends them.
    for (const fn of [this.poller, this.evaluator]) {
      fn.bindStateTable(this.table).bindGenesysSecrets(this.genesysSecretArns);
    }
    this.poller.bindObservationBus(this.observationBus);

    new events.Rule(this, 'PollSchedule', {
      description: `Poll Genesys every ${this.config.intervalSeconds} s`,
      schedule: events.Schedule.rate(Duration.seconds(this.config.intervalSeconds)),
      targets: [
        new targets.LambdaFunction(this.poller.function, {
          retryAttempts: 2,
          maxEventAge: Duration.seconds(60),
        }),
      ],
    });
    this.evaluateTarget = new targets.LambdaFunction(this.evaluator.function, {
      deadLetterQueue: this.evaluateDlq,
      retryAttempts: 8,
      maxEventAge: Duration.hours(1),
    });
    new events.Rule(this, 'EvaluateObservations', {
      description: 'QueueObservations (one per chunk) and single QueueObservation events → evaluate',
      eventBus: this.observationBus,
      eventPattern: {
        source: [OBSERVATION_EVENT.source],
        detailType: [OBSERVATION_EVENT.detailType, OBSERVATION_BATCH_EVENT.detailType],
      },
      targets: [this.evaluateTarget],
    });
    if (props.partnerEventBusName)
      this.addPartnerTrigger(props.partnerEventBusName, props.partnerDetailTypes);

    this.monitoring = new SurgeMonitoring(this, 'Monitoring', {
      config: this.config,
      poller: this.poller.function,
      evaluator: this.evaluator.function,
      evaluatorLogGroupName: this.evaluator.logGroup.logGroupName,
      evaluateDlq: this.evaluateDlq,
      pageDeliveryDlq: this.pageDeliveryDlq,
      alarmTopic: this.pagerTopic,
      dashboardName: props.dashboardName,
    });

    // The sender never reads the controller config, so it does not carry the file.
    this.pageDelivery = new PageDelivery(this, 'PageDelivery', {
      logRetention: common.logRetention,
      logRemovalPolicy: common.logRemovalPolicy,
      logLevel: common.logLevel,
      entry: HANDLER_ENTRIES.sendPages,
      table: this.table,
      topic: this.pagerTopic,
      topicKey: this.pagerTopicKey,
      routingKeySecretName: props.pagerDutyRoutingKeySecret,
      eventsUrl: props.pagerDutyEventsUrl,
    });
    const deliveryAlarms = this.pageDelivery.alarms([
      'genesys',
      ...(this.config.actuators.some((a) => a.type === 'cloudfront-kvs') ? ['kvs'] : []),
    ]);
    const notify = new cwActions.SnsAction(this.pagerTopic);
    for (const alarm of Object.values(deliveryAlarms)) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
    this.pageDelivery.forwardAlarms([
      ...Object.values(this.monitoring.alarms),
      ...Object.values(deliveryAlarms),
    ]);

    if (props.edge) this.bindEdge(props.edge);
    this.node.addValidation({ validate: () => this.validateEdgeNeeds() });
  }

  /**
   * Connects the edge tiers: the origin error alarm's state changes (default bus) go to evaluate as
   * Tier 4, and both Lambdas may write the KVS flags (`cloudfront-kvs` actuators are reconciled by both).
   */
  bindEdge(edge: SurgeEdgeBinding): this {
    if (this.edge) throw new Error('SurgeController.bindEdge: an edge is already bound');
    this.edge = edge;
    new events.Rule(this, 'EdgeOriginAlarm', {
      description: 'Edge origin error alarm state changes → evaluate (Tier 4)',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [edge.originErrorAlarm.alarmArn],
      },
      targets: [this.evaluateTarget],
    });
    edge.bindFlagWriter(this.poller.function);
    edge.bindFlagWriter(this.evaluator.function);
    return this;
  }

  /** All alarms, for callers that add their own actions. */
  get alarms(): SurgeMonitoring['alarms'] {
    return this.monitoring.alarms;
  }

  private createPager(props: SurgeControllerProps, removalPolicy: RemovalPolicy) {
    const key = new kms.Key(this, 'PagerTopicKey', {
      description: 'cx-surge-controller pager topic encryption',
      enableKeyRotation: true,
      removalPolicy,
    });
    // The AWS-managed aws/sns key cannot be used by CloudWatch alarms; this key lets them publish.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new sns.Topic(this, 'PagerTopic', {
      displayName: 'cx-surge-controller pages',
      masterKey: key,
      enforceSSL: true,
    });
    const dlq = new sqs.Queue(this, 'PageDeliveryDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the pager topic subscriptions (SNS RedrivePolicy).',
    });
    if (props.alertEmail) {
      topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail, { deadLetterQueue: dlq }));
    }
    if (props.pagerDutyEndpoint) {
      throw new ConfigError(
        'pagerDutyEndpoint',
        "is no longer supported: PagerDuty's CloudWatch-style SNS integration drops the controller's own pages. Create an Events API v2 integration, put its routing key in a Secrets Manager secret and deploy with -c pagerDutyRoutingKeySecret=<secret name> (docs/resilience.md#pagerduty)",
      );
    }
    return { topic, key, dlq };
  }

  private genesysSecrets(create: boolean, removalPolicy: RemovalPolicy): string[] {
    const { credentialsSecret, breakGlassSecret } = this.config.genesys;
    const named: [string, string][] = [['GenesysClientSecret', credentialsSecret]];
    if (breakGlassSecret) named.push(['GenesysBreakGlassSecret', breakGlassSecret]);
    return named.map(([id, secretName]) => {
      if (!create) return secretArnFromName(this, secretName);
      // Placeholder shape only; the real client id/secret are put with `aws secretsmanager put-secret-value`.
      const secret = new secretsmanager.Secret(this, id, {
        secretName,
        description: `Genesys Cloud OAuth client credentials for cx-surge-controller (${id})`,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ clientId: 'REPLACE_WITH_CLIENT_ID' }),
          generateStringKey: 'clientSecret',
        },
        removalPolicy,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A Genesys Cloud OAuth client secret is rotated in Genesys Cloud (Admin > OAuth) and then put here; Secrets Manager cannot rotate it.',
      });
      return secret.secretArn;
    });
  }

  private addPartnerTrigger(
    busName: string,
    detailTypes: readonly string[] = DEFAULT_PARTNER_DETAIL_TYPES,
  ): void {
    if (!busName.startsWith(PARTNER_BUS_PREFIX)) {
      throw new ConfigError(
        'partnerEventBusName',
        `must be a Genesys Cloud partner bus name starting with '${PARTNER_BUS_PREFIX}'`,
      );
    }
    if (detailTypes.length === 0)
      throw new ConfigError('partnerDetailTypes', 'must name at least one detail-type');
    new events.Rule(this, 'PartnerTrigger', {
      description:
        'Genesys Cloud conversation events → an extra poll (accelerator; the schedule stays the source of truth)',
      eventBus: events.EventBus.fromEventBusName(this, 'GenesysPartnerBus', busName),
      eventPattern: { source: events.Match.prefix('aws.partner/genesys.com'), detailType: [...detailTypes] },
      targets: [
        new targets.LambdaFunction(this.poller.function, {
          retryAttempts: 0,
          maxEventAge: Duration.seconds(60),
        }),
      ],
    });
  }

  private validateEdgeNeeds(): string[] {
    return edgeRefusals(this.config.actuators, this.edge).map((e) => e.message);
  }
}

/** The config as it goes into the bundled config file (compact JSON), refused at synth when absurdly large. */
function checkedConfigJson(raw: SurgeConfigInput, config: SurgeConfig): string {
  const interval = intervalRefusal(config);
  if (interval) throw interval;
  const json = JSON.stringify(raw);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_CONFIG_FILE_BYTES) {
    throw new ConfigError(
      '(root)',
      `config is ${bytes} bytes as compact JSON; the bundled config file must be at most ${MAX_CONFIG_FILE_BYTES} bytes`,
    );
  }
  return json;
}
