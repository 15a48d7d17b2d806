import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DR_PARTITION } from '../lambdas/adapters/dynamodb/dr-run-store';
import { Partition } from '../lambdas/adapters/dynamodb/table-definition';
import { EnvVar, METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/adapters/telemetry-names';
import { type DrConfig, type DrConfigInput, drDids, parseDrConfig } from '../lambdas/core/dr-config';
import { ConfigError } from '../lambdas/core/errors';
import { BASE_BUNDLING, BUNDLE_ALIASES, CONTROLLER_RUNTIME, secretArnFromName } from './controller-function';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DR_SWITCH_ENTRY = join(repoRoot, 'lambdas/handlers/dr-switch.ts');

/** DynamoDB actions dr-switch uses: its DR partition, the page outbox, the shared breakers. */
export const DR_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
] as const;
/** Partitions (`pk` values) dr-switch may touch: enforced with dynamodb:LeadingKeys. */
export const DR_TABLE_PARTITIONS = [DR_PARTITION, Partition.Page, Partition.Breaker] as const;

/** Lambda's ceiling. */
const MAX_TIMEOUT_SECONDS = 900;

/**
 * The dr-switch timeout, sized for the largest plan the config allows: every DID as its own
 * DR_Control row (`--mode dids`), one write each at the paced per-token rate, plus a read-back per
 * batch, ×1.5 for 429s, plus 2 minutes for assertions and mirroring callbacks. Capped at 900 s (a run
 * cut off there is resumable: `cx-surge dr resume`).
 */
export function drSwitchTimeoutSeconds(config: DrConfig): number {
  const { requestsPerMinute, burst } = config.rateLimits;
  const calls = drDids(config).length * 1.02 + 10;
  const pacedSeconds = (calls * 60) / Math.max(1, requestsPerMinute - burst);
  return Math.min(MAX_TIMEOUT_SECONDS, Math.ceil(pacedSeconds * 1.5 + 120));
}

export interface DrSwitchProps {
  /** The DR config document (the parsed JSON file); validated with `parseDrConfig` at synth and bundled into the code. */
  readonly config: DrConfigInput;
  /** The controller's state table (DR runs, leases, outbox, breakers live in it). */
  readonly table: dynamodb.ITable;
  /** Where DR pages go (and the dr-switch error alarm). */
  readonly pagerTopic: sns.ITopic;
  readonly pagerTopicKey: kms.IKey;
  /**
   * IAM principals (user or role ARNs) of the engineers who may assume the emergency-access role, with
   * MFA. At least one: a DR switch nobody may run by hand is a paper tiger again.
   */
  readonly engineers: readonly string[];
  /** When the readiness dry-run runs. @default every day at 07:00 UTC */
  readonly readinessSchedule?: events.Schedule;
  /** @default logs.RetentionDays.ONE_YEAR (DR runs are audited) */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The DR switchover in the stack (docs/dr.md): the `dr-switch` Lambda (the same code as `cx-surge dr`),
 * its daily readiness dry-run, the four Genesys secrets it reads (by name), an alarm on its errors,
 * and the emergency-access role engineers assume with MFA to read the break-glass secrets and invoke
 * dr-switch — nothing else.
 */
export class DrSwitch extends Construct {
  readonly config: DrConfig;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly emergencyRole: iam.Role;
  readonly errorAlarm: cloudwatch.Alarm;
  /** ARNs (by-name patterns) of the break-glass secrets of both orgs. */
  readonly breakGlassSecretArns: readonly string[];
  readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: DrSwitchProps) {
    super(scope, id);
    this.config = parseDrConfig(props.config);
    if (props.engineers.length === 0) {
      throw new ConfigError(
        'drEngineers',
        'name at least one engineer (IAM user or role ARN) for the emergency-access role',
      );
    }
    for (const [i, arn] of props.engineers.entries()) {
      if (!/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/.test(arn)) {
        throw new ConfigError(`drEngineers.${i}`, `'${arn}' is not an IAM user or role ARN`);
      }
    }
    const c = this.config;
    const removal = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const secret = (name: string) => secretArnFromName(this, name);
    const allSecrets = [
      c.primary.credentialsSecret,
      c.primary.breakGlassSecret,
      c.backup.credentialsSecret,
      c.backup.breakGlassSecret,
    ].map(secret);
    this.breakGlassSecretArns = [c.primary.breakGlassSecret, c.backup.breakGlassSecret].map(secret);
    this.timeoutSeconds = drSwitchTimeoutSeconds(c);
    if (this.timeoutSeconds >= MAX_TIMEOUT_SECONDS) {
      Annotations.of(this).addWarningV2(
        'cx-surge:dr-timeout',
        `${drDids(c).length} DIDs as per-DID rows may not fit one 900 s invocation: such a run stops resumable (cx-surge dr resume); prefer --mode all or nuclear`,
      );
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: removal,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'dr-switch: DR switchover runs and daily readiness (cx-surge-controller)',
    });
    logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: DR_SWITCH_ENTRY,
      handler: 'handler',
      description: 'DR switchover: guarded failover/failback between Genesys Cloud orgs, daily readiness',
      runtime: CONTROLLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(this.timeoutSeconds),
      role: this.role,
      logGroup,
      // A scheduled readiness run that failed is re-run tomorrow; the error alarm pages today.
      retryAttempts: 0,
      environment: {
        [EnvVar.StateTableName]: props.table.tableName,
        [EnvVar.PagerTopicArn]: props.pagerTopic.topicArn,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        ...BASE_BUNDLING,
        // The DID list does not fit Lambda's 4 KB of environment: the validated config is compiled in.
        define: { 'process.env.SURGE_DR_CONFIG': JSON.stringify(JSON.stringify(props.config)) },
        esbuildArgs: {
          '--log-override:empty-import-meta': 'silent',
          ...Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
        },
      },
    });

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...DR_TABLE_ACTIONS],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...DR_TABLE_PARTITIONS] } },
      }),
    );
    props.table.encryptionKey?.grant(this.role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: allSecrets }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.pagerTopic.topicArn] }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.pagerTopicKey.keyArn],
      }),
    );

    new events.Rule(this, 'DailyReadiness', {
      description: 'DR readiness: every assertion against both orgs, pages what would make DR fail',
      schedule: props.readinessSchedule ?? events.Schedule.cron({ minute: '0', hour: '7' }),
      targets: [
        new targets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject({ action: 'readiness' }),
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    // A readiness run that crashes pages nothing by itself: this alarm does.
    this.errorAlarm = new cloudwatch.Alarm(this, 'ErrorAlarm', {
      alarmDescription:
        'dr-switch failed (a DR run or the daily readiness check did not complete): see docs/dr.md',
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.errorAlarm.addAlarmAction(new actions.SnsAction(props.pagerTopic));

    // Human emergency access: the named engineers, with MFA, may read the break-glass secrets and
    // invoke dr-switch. Nothing else (no console, no table, no other secret).
    this.emergencyRole = new iam.Role(this, 'EmergencyAccessRole', {
      description: 'DR emergency access (cx-surge-controller): read break-glass secrets, invoke dr-switch',
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.CompositePrincipal(
        ...props.engineers.map((arn) => new iam.ArnPrincipal(arn)),
      ).withConditions({
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      }),
    });
    this.emergencyRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...this.breakGlassSecretArns],
      }),
    );
    this.emergencyRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
  }
}
