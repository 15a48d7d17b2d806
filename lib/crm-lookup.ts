import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Stage } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CRM_CACHE_PREFIX } from '../lambdas/adapters/crm/dynamo-cache';
import { CRM_CLIENT_ERRORS_PARTITION } from '../lambdas/adapters/crm/dynamo-incidents';
import {
  CRM_CONFIG_FILE_NAME,
  CrmDimension,
  CrmEnvVar,
  CrmMetricName,
} from '../lambdas/adapters/crm/telemetry-names';
import { Partition } from '../lambdas/adapters/dynamodb/table-definition';
import { EnvVar, METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/adapters/telemetry-names';
import { type CrmConfig, parseCrmConfig } from '../lambdas/core/crm/config';
import { ConfigError } from '../lambdas/core/errors';
import {
  BASE_BUNDLING,
  CONTROLLER_RUNTIME,
  configFileHooks,
  secretArnFromName,
  stageConfigFile,
} from './controller-function';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CRM_LOOKUP_ENTRY = join(repoRoot, 'lambdas/handlers/crm-lookup.ts');

/** The crm-lookup function's DynamoDB actions: cache get/put, breaker state and counts, refusal counts, staged pages. */
export const CRM_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** Partition keys crm-lookup may touch (IAM `dynamodb:LeadingKeys`): nothing of the controller's own state. */
export const CRM_LEADING_KEYS = [
  `${CRM_CACHE_PREFIX}*`,
  Partition.Breaker,
  CRM_CLIENT_ERRORS_PARTITION,
  Partition.Page,
] as const;

/** The CRM breakers' prober runs this often (docs/crm.md): it is what closes the cascade guard. */
export const CRM_PROBE_RATE = Duration.minutes(1);

export interface CrmLookupProps {
  /** The CRM config document (docs/crm.md), validated with parseCrmConfig at synth. */
  readonly config: unknown;
  /** The controller's one table: the customer cache, the shared breakers and the page outbox live there. */
  readonly table: dynamodb.ITable;
  /** Genesys Cloud's AWS account for your region (Genesys documents it: look it up, never guess). */
  readonly genesysAccountId: string;
  /** Your Genesys Cloud organization id: the external id Genesys presents when it assumes the role. */
  readonly genesysOrgId: string;
  /** Alarms notify here (and OK). @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /** Widgets are added to this dashboard. @default none */
  readonly dashboard?: cloudwatch.Dashboard;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Removal policy of the log group. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: string;
}

/**
 * The CRM screen-pop lookup (docs/crm.md): the `crm-lookup` function a Genesys Cloud Data Action
 * invokes, the IAM role Genesys assumes to invoke it (and nothing else), the prober's schedule, alarms
 * on the fallback rate and errors, and dashboard widgets. No business logic here.
 *
 * ```
 * Genesys Data Action ─AssumeRole (external id = org id)─▶ role ─lambda:InvokeFunction─▶ crm-lookup
 * schedule (1 min) ─{ crmProbe: true }─▶ crm-lookup (prober)   crm-lookup ─▶ table / CRM APIs / secrets
 * ```
 */
export class CrmLookup extends Construct {
  readonly config: CrmConfig;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  /** The role to paste into the Genesys Cloud AWS Lambda Data Actions integration. */
  readonly invokeRole: iam.Role;
  readonly alarms: Readonly<{ FallbackRate: cloudwatch.Alarm; Errors: cloudwatch.Alarm }>;

  constructor(scope: Construct, id: string, props: CrmLookupProps) {
    super(scope, id);
    this.config = parseCrmConfig(props.config);
    if (!/^\d{12}$/.test(props.genesysAccountId)) {
      throw new ConfigError(
        'context.genesysAccountId',
        `must be a 12-digit AWS account id, got '${props.genesysAccountId}'`,
      );
    }
    if (props.genesysOrgId.trim() === '')
      throw new ConfigError('context.genesysOrgId', 'must be your Genesys Cloud org id');

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'crm-lookup (cx-surge-controller): CRM screen-pop lookups',
    });
    logGroup.grantWrite(this.role);

    // The answer must beat the Data Action's own timeout: budget + a little, never the controller's 60 s.
    const timeout = Duration.seconds(Math.ceil(this.config.budgetMs / 1000) + 2);
    this.function = new NodejsFunction(this, 'Function', {
      entry: CRM_LOOKUP_ENTRY,
      handler: 'handler',
      description: 'CRM screen-pop lookup for a Genesys Cloud Data Action: primary, secondary, cache',
      runtime: CONTROLLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout,
      role: this.role,
      logGroup,
      awsSdkConnectionReuse: false,
      environment: {
        [CrmEnvVar.CrmConfigFile]: CRM_CONFIG_FILE_NAME,
        [EnvVar.StateTableName]: props.table.tableName,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        ...BASE_BUNDLING,
        // The config is a file in the asset, like the controller's (docs/crm.md): no env var limit.
        commandHooks: configFileHooks(
          stageConfigFile(
            JSON.stringify(props.config),
            join(Stage.of(this)?.outdir ?? tmpdir(), 'crm-config'),
            'crm-config',
          ),
          CRM_CONFIG_FILE_NAME,
        ),
      },
    });

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...CRM_TABLE_ACTIONS],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...CRM_LEADING_KEYS] } },
      }),
    );
    props.table.encryptionKey?.grant(this.role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    const secretNames = [
      this.config.primary.credentialsSecret,
      this.config.secondary?.credentialsSecret,
    ].filter((n): n is string => n !== undefined);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: secretNames.map((name) => secretArnFromName(this, name)),
      }),
    );

    // Genesys Cloud assumes this role to invoke the function; the external id is the org id (confused deputy).
    this.invokeRole = new iam.Role(this, 'GenesysInvokeRole', {
      assumedBy: new iam.AccountPrincipal(props.genesysAccountId),
      externalIds: [props.genesysOrgId],
      description: 'Genesys Cloud Data Action: invoke crm-lookup only (cx-surge-controller)',
      maxSessionDuration: Duration.hours(1),
    });
    this.invokeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );

    new events.Rule(this, 'ProbeSchedule', {
      description:
        'CRM breakers prober: probes crm-primary / crm-secondary when due (closes the cascade guard)',
      schedule: events.Schedule.rate(CRM_PROBE_RATE),
      targets: [
        new targets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject({ crmProbe: true }),
          retryAttempts: 0,
          maxEventAge: Duration.seconds(60),
        }),
      ],
    });

    const fallbackRate = new cloudwatch.MathExpression({
      // Only with enough lookups to mean something (the cascade guard's own minimum).
      expression: `IF(tried >= ${this.config.cascade.minimumLookups}, 100 * fallbacks / tried, 0)`,
      usingMetrics: {
        fallbacks: crmMetric(CrmMetricName.CrmFallbackPath, 'Sum'),
        tried: crmMetric(CrmMetricName.CrmFallbackPath, 'SampleCount'),
      },
      period: Duration.minutes(1),
      label: 'fallback rate %',
    });
    this.alarms = {
      FallbackRate: new cloudwatch.Alarm(this, 'FallbackRate', {
        alarmDescription: `More than ${this.config.cascade.fallbackRatePercent} % of CRM screen-pop lookups needed the fallback in 2 of 3 minutes: agents see read-only, possibly cached data. Runbook: docs/crm.md#alarms`,
        metric: fallbackRate,
        threshold: this.config.cascade.fallbackRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      Errors: new cloudwatch.Alarm(this, 'Errors', {
        alarmDescription:
          'crm-lookup failed (Lambda errors) in 3 of 5 minutes: screen pops get no data. Runbook: docs/crm.md#alarms',
        metric: this.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
    if (props.alarmTopic) {
      const notify = new cwActions.SnsAction(props.alarmTopic);
      for (const alarm of Object.values(this.alarms)) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      }
    }

    props.dashboard?.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'CRM lookups by source',
        width: 8,
        stacked: true,
        left: (['primary', 'secondary', 'cache', 'none'] as const).map((source) =>
          crmMetric(CrmMetricName.CrmLookups, 'Sum', { [CrmDimension.Source]: source }, source),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'CRM fallback rate % and cascade guard',
        width: 8,
        left: [fallbackRate],
        right: [crmMetric(CrmMetricName.CrmGuarded, 'Sum', {}, 'guarded lookups')],
        leftAnnotations: [{ value: this.config.cascade.fallbackRatePercent, label: 'guard threshold' }],
      }),
      new cloudwatch.GraphWidget({
        title: 'CRM lookup latency (ms) and errors',
        width: 8,
        left: [
          crmMetric(CrmMetricName.CrmLookupLatency, 'p50', {}, 'p50'),
          crmMetric(CrmMetricName.CrmLookupLatency, 'p99', {}, 'p99'),
        ],
        leftAnnotations: [{ value: this.config.budgetMs, label: 'budget' }],
        right: [
          this.function.metricErrors({
            period: Duration.minutes(1),
            statistic: 'Sum',
            label: 'Lambda errors',
          }),
          crmMetric(CrmMetricName.CrmLookupRefused, 'Sum', {}, 'refused (4xx)'),
        ],
      }),
    );
  }
}

function crmMetric(
  metricName: string,
  statistic: string,
  dimensions: Record<string, string> = {},
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...dimensions },
    statistic,
    period: Duration.minutes(1),
    ...(label ? { label } : {}),
  });
}
