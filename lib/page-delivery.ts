import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DUE_PAGES_INDEX, Partition } from '../lambdas/adapters/dynamodb/table-definition';
import {
  EnvVar,
  METRICS_NAMESPACE,
  MetricDimension,
  MetricName,
  SERVICE_NAME,
} from '../lambdas/adapters/telemetry-names';
import { ControllerFunction, secretArnFromName } from './controller-function';

export interface PageDeliveryProps {
  /** The state table; its stream (NEW_IMAGE) announces staged pages. */
  readonly table: dynamodb.ITable;
  /** Plain-text copies for e-mail subscribers. */
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  /** Entry of the sender handler. */
  readonly entry: string;
  /** Name of the Secrets Manager secret holding the PagerDuty Events v2 routing key. @default no PagerDuty (e-mail only) */
  readonly routingKeySecretName?: string;
  /** Events API URL. @default https://events.pagerduty.com/v2/enqueue */
  readonly eventsUrl?: string;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly logLevel?: string;
}

/**
 * Page delivery off the switching path (docs/resilience.md#page-delivery): the send-pages Lambda reads
 * the state table's stream (new PAGE items only, by an event filter), sweeps the outbox every minute,
 * and turns the controller's alarm state changes into PagerDuty incidents. Stream records it cannot
 * process after retries land in a DLQ; the pages themselves stay in the outbox for the sweep.
 */
export class PageDelivery extends Construct {
  readonly sender: ControllerFunction;
  readonly streamDlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: PageDeliveryProps) {
    super(scope, id);
    this.sender = new ControllerFunction(this, 'SendPages', {
      entry: props.entry,
      description:
        'Delivers staged pages: PagerDuty Events v2 (pager breaker, retries, dead-letter) and e-mail',
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      logLevel: props.logLevel,
      // Several senders racing is safe (pages are claimed conditionally) but pointless.
      reservedConcurrentExecutions: undefined,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(5),
      // Pages go to PagerDuty and SNS only: no Genesys SDK file in the asset.
      callsGenesys: false,
    });
    this.sender.bindStateTable(props.table).bindPagerTopic(props.topic, props.topicKey);
    // Housekeeping reads only undelivered pages: Query on the sparse due-pages index, nothing else.
    this.sender.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${DUE_PAGES_INDEX.name}`],
      }),
    );
    if (props.routingKeySecretName) {
      this.sender.function.addEnvironment(EnvVar.PagerDutyRoutingKeySecret, props.routingKeySecretName);
      this.sender.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretArnFromName(this, props.routingKeySecretName)],
        }),
      );
    }
    if (props.eventsUrl) this.sender.function.addEnvironment(EnvVar.PagerDutyEventsUrl, props.eventsUrl);

    this.streamDlq = new sqs.Queue(this, 'StreamDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.streamDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the page sender stream mapping; the pages stay in the outbox and the sweep delivers them.',
    });
    this.sender.function.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 10,
        retryAttempts: 2,
        bisectBatchOnError: true,
        onFailure: new SqsDlq(this.streamDlq),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { pk: { S: lambda.FilterRule.isEqual(Partition.Page) } } },
          }),
        ],
      }),
    );
    Validations.of(this.sender.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams has no resource-level permissions; CDK grants it on * for the stream event source. Reading records is granted on the table stream only.',
    });
    new events.Rule(this, 'Sweep', {
      description: 'Deliver pages left pending (breaker open, re-drive of dead pages) every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.sender.function, {
          retryAttempts: 0,
          maxEventAge: Duration.seconds(60),
        }),
      ],
    });
  }

  /** The controller's own alarms become PagerDuty incidents (ALARM triggers, OK resolves). */
  forwardAlarms(alarms: readonly cloudwatch.IAlarm[]): void {
    new events.Rule(this, 'Alarms', {
      description: 'Controller alarm state changes → send-pages (PagerDuty Events v2)',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: alarms.map((a) => a.alarmArn),
      },
      targets: [
        new targets.LambdaFunction(this.sender.function, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }

  /** Alarms on page delivery: dead pages, an old backlog, and each breaker staying open. */
  alarms(breakers: readonly string[]): Record<string, cloudwatch.Alarm> {
    const metric = (name: string, statistic: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { [MetricDimension.Service]: SERVICE_NAME, ...dimensions },
        statistic,
        period: Duration.minutes(1),
      });
    const alarms: Record<string, cloudwatch.Alarm> = {
      DeadPages: new cloudwatch.Alarm(this, 'DeadPagesAlarm', {
        alarmDescription:
          'Pages were dead-lettered (PagerDuty rejected them or retries ran out). Runbook: docs/resilience.md#operator',
        metric: metric(MetricName.DeadPages, 'Maximum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      PageBacklogAge: new cloudwatch.Alarm(this, 'PageBacklogAgeAlarm', {
        alarmDescription:
          'A page has waited more than 5 minutes in the outbox. Runbook: docs/resilience.md#operator',
        metric: metric(MetricName.PageBacklogAge, 'Maximum'),
        threshold: 300,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
    for (const breaker of breakers) {
      alarms[`CircuitState-${breaker}`] = new cloudwatch.Alarm(
        this,
        `CircuitState${breaker.replace(/[^A-Za-z0-9]/g, '')}`,
        {
          alarmDescription: `Circuit breaker ${breaker} open or half-open for 5 minutes: calls to it fail fast. Runbook: docs/resilience.md#operator`,
          metric: metric(MetricName.CircuitState, 'Minimum', { [MetricDimension.Breaker]: breaker }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 5,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      );
    }
    return alarms;
  }
}
