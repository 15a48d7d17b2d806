import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmStateChangeEvent, OriginAlarmModel } from '../../drill/edge/origin-alarm';
import {
  CONFIG_FILE_NAME,
  EnvVar,
  OBSERVATION_BATCH_EVENT,
  OBSERVATION_EVENT,
} from '../../lambdas/adapters/telemetry-names';
import { parseConfig, type SurgeConfigInput } from '../../lambdas/core/config';
import type { ConfigError } from '../../lambdas/core/errors';
import {
  configFileHooks,
  KVS_FLAG_WRITER_ACTIONS,
  LEASE_SECONDS,
  STATE_TABLE_ACTIONS,
  stageConfigFile,
} from '../../lib/controller-function';
import {
  EVALUATE_RESERVED_CONCURRENCY,
  existingEdge,
  POLLER_RESERVED_CONCURRENCY,
  SurgeController,
  type SurgeControllerProps,
} from '../../lib/surge-controller';
import {
  CHUNKS_PER_MINUTE_QUERY,
  QUEUES_NOT_QUIET_QUERY,
  TIERS_PER_MINUTE_QUERY,
} from '../../lib/surge-monitoring';
import {
  ACCOUNT,
  acknowledgementsIn,
  arnOf,
  buildStack,
  logicalId,
  newApp,
  permissionsOf,
  REGION,
  refOf,
  type Synth,
  synth,
} from './support';

const CONFIG: SurgeConfigInput = {
  queues: [
    { id: 'q-sales', name: 'Sales' },
    { id: 'q-support', name: 'Support' },
  ],
  genesys: {
    region: 'eu_west_1',
    credentialsSecret: 'cx-surge/genesys-client',
    breakGlassSecret: 'cx-surge/break-glass',
  },
};
const KVS_ARN = `arn:aws:cloudfront::${ACCOUNT}:key-value-store/0b2f4ac1-1111-4222-8333-944455556666`;
const PARTNER_BUS = 'aws.partner/genesys.com/cloud/8f1c2d3e-org/cx-surge';

function secretPattern(name: string): string {
  return JSON.stringify({
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-??????`],
    ],
  });
}

/** The message the CLI gives for a config (parseConfig's ConfigError), or undefined when it is valid. */
function cliMessageFor(config: unknown): string | undefined {
  try {
    parseConfig(config);
    return undefined;
  } catch (error) {
    return (error as ConfigError).message;
  }
}

describe('SurgeController with a config naming queues and a break-glass secret', () => {
  let s: Synth;
  let ids: { table: string; bus: string; topic: string; key: string; evaluateDlq: string; pageDlq: string };
  let poller: { fn: string; role: string; logs: string };
  let evaluate: { fn: string; role: string; logs: string };
  beforeAll(() => {
    // Prepare
    s = synth({ config: CONFIG, alertEmail: 'cx-ops@example.com' });
    const c = s.stack.controller;
    ids = {
      table: logicalId(c.table),
      bus: logicalId(c.observationBus),
      topic: logicalId(c.pagerTopic),
      key: logicalId(c.pagerTopicKey),
      evaluateDlq: logicalId(c.evaluateDlq),
      pageDlq: logicalId(c.pageDeliveryDlq),
    };
    poller = {
      fn: logicalId(c.poller.function),
      role: logicalId(c.poller.role),
      logs: logicalId(c.poller.logGroup),
    };
    evaluate = {
      fn: logicalId(c.evaluator.function),
      role: logicalId(c.evaluator.role),
      logs: logicalId(c.evaluator.logGroup),
    };
  });

  describe('state table', () => {
    it('is one on-demand table keyed pk/sk with PITR, AWS-managed encryption and a housekeeping TTL', () => {
      s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
      s.template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'dueShard', AttributeType: 'S' },
          { AttributeName: 'claimUntil', AttributeType: 'N' },
        ],
        // Undelivered pages only (sparse): page housekeeping reads what is due.
        GlobalSecondaryIndexes: [
          {
            IndexName: 'due-pages',
            KeySchema: [
              { AttributeName: 'dueShard', KeyType: 'HASH' },
              { AttributeName: 'claimUntil', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      });
    });

    it('is protected from deletion and retained by default', () => {
      s.template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      });
    });
  });

  describe('rules', () => {
    it('polls on a schedule at the configured interval, targeting poll-observations', () => {
      s.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Arn: JSON.parse(arnOf(poller.fn)) })],
      });
    });

    it('routes QueueObservation events on the controller bus to evaluate, with a DLQ and a retry policy', () => {
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: ids.bus },
        EventPattern: {
          source: [OBSERVATION_EVENT.source],
          'detail-type': [OBSERVATION_EVENT.detailType, OBSERVATION_BATCH_EVENT.detailType],
        },
        Targets: [
          Match.objectLike({
            Arn: JSON.parse(arnOf(evaluate.fn)),
            DeadLetterConfig: { Arn: JSON.parse(arnOf(ids.evaluateDlq)) },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
          }),
        ],
      });
    });

    it('has no partner-bus or edge rule unless asked', () => {
      // poll schedule, evaluate rule, the page sender's sweep and its alarm forwarding
      s.template.resourceCountIs('AWS::Events::Rule', 4);
    });

    it('lets only its own rules invoke each function', () => {
      const permissions = Object.values(s.template.findResources('AWS::Lambda::Permission'));
      expect(permissions).toHaveLength(4);
      for (const p of permissions) {
        expect(p.Properties).toMatchObject({
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
        });
        expect(p.Properties.SourceArn).toHaveProperty('Fn::GetAtt');
      }
    });
  });

  describe('IAM (least privilege)', () => {
    it('poll-observations may do exactly: its logs, the table, PutEvents on its bus, read both secrets (no SNS: pages are only staged)', () => {
      const table = [arnOf(ids.table)];
      const secrets = [secretPattern('cx-surge/break-glass'), secretPattern('cx-surge/genesys-client')];
      expect(permissionsOf(s.template, poller.role)).toEqual({
        'logs:CreateLogStream': [arnOf(poller.logs)],
        'logs:PutLogEvents': [arnOf(poller.logs)],
        ...Object.fromEntries(STATE_TABLE_ACTIONS.map((a) => [a, table])),
        'events:PutEvents': [arnOf(ids.bus)],
        'secretsmanager:GetSecretValue': secrets,
      });
    });

    it('evaluate may do exactly: its logs, the table, read both secrets, send to its DLQ (no PutEvents, no SNS)', () => {
      const table = [arnOf(ids.table)];
      const secrets = [secretPattern('cx-surge/break-glass'), secretPattern('cx-surge/genesys-client')];
      expect(permissionsOf(s.template, evaluate.role)).toEqual({
        'logs:CreateLogStream': [arnOf(evaluate.logs)],
        'logs:PutLogEvents': [arnOf(evaluate.logs)],
        ...Object.fromEntries(STATE_TABLE_ACTIONS.map((a) => [a, table])),
        'secretsmanager:GetSecretValue': secrets,
        'sqs:SendMessage': [arnOf(ids.evaluateDlq)],
      });
    });

    it('attaches no managed policies and grants no wildcard resource to either role', () => {
      for (const role of Object.values(s.template.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
      for (const role of [poller.role, evaluate.role]) {
        for (const resources of Object.values(permissionsOf(s.template, role)))
          expect(resources).not.toContain('"*"');
      }
    });
  });

  describe('functions', () => {
    it.each([
      ['poll-observations', () => poller.fn, POLLER_RESERVED_CONCURRENCY],
      ['evaluate', () => evaluate.fn, EVALUATE_RESERVED_CONCURRENCY],
    ])(
      '%s runs on Node 24 arm64, times out with the lease and has reserved concurrency',
      (_name, fn, reserved) => {
        const props = s.template.findResources('AWS::Lambda::Function')[fn()]?.Properties;
        expect(props).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          Timeout: LEASE_SECONDS,
          ReservedConcurrentExecutions: reserved,
          LoggingConfig: { LogGroup: { Ref: fn() === poller.fn ? poller.logs : evaluate.logs } },
        });
      },
    );

    it('gives poll-observations the config, table and bus in its environment (no topic: it only stages pages)', () => {
      const env =
        s.template.findResources('AWS::Lambda::Function')[poller.fn]?.Properties.Environment.Variables;
      expect(env).toEqual({
        [EnvVar.SurgeConfigFile]: CONFIG_FILE_NAME,
        [EnvVar.StateTableName]: { Ref: ids.table },
        [EnvVar.EventBusName]: { Ref: ids.bus },
        POWERTOOLS_SERVICE_NAME: 'cx-surge-controller',
        POWERTOOLS_METRICS_NAMESPACE: 'CxSurge',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('gives evaluate the same environment minus the bus, and never a secret value', () => {
      const env =
        s.template.findResources('AWS::Lambda::Function')[evaluate.fn]?.Properties.Environment.Variables;
      expect(env).not.toHaveProperty(EnvVar.EventBusName);
      expect(env).not.toHaveProperty(EnvVar.EdgeKvsArn);
      expect(env[EnvVar.SurgeConfigFile]).toBe(CONFIG_FILE_NAME);
      expect(JSON.stringify(env)).not.toMatch(/clientSecret/i);
    });

    it('drops failed poll triggers (the next tick supersedes them) but dead-letters failed evaluations', () => {
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: poller.fn },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: evaluate.fn },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
      });
      s.template.hasResourceProperties('AWS::Lambda::Function', {
        DeadLetterConfig: { TargetArn: JSON.parse(arnOf(ids.evaluateDlq)) },
      });
    });

    it('keeps logs for 30 days by default', () => {
      s.template.resourceCountIs('AWS::Logs::LogGroup', 3);
      s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });
  });

  describe('paging', () => {
    it('encrypts the pager topic with a rotating key that CloudWatch alarms may use', () => {
      s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: JSON.parse(arnOf(ids.key)) });
      s.template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
            }),
          ]),
        },
      });
    });

    it('refuses non-TLS publishing to the topic and to both queues', () => {
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      s.template.resourcePropertiesCountIs(
        'AWS::SQS::QueuePolicy',
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        },
        3,
      );
    });

    it('subscribes the alert e-mail with a delivery DLQ', () => {
      s.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'cx-ops@example.com',
        TopicArn: { Ref: ids.topic },
        RedrivePolicy: { deadLetterTargetArn: JSON.parse(arnOf(ids.pageDlq)) },
      });
    });

    it('encrypts the DLQs and keeps their messages 14 days', () => {
      s.template.resourceCountIs('AWS::SQS::Queue', 3);
      s.template.allResourcesProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    });
  });

  describe('alarms', () => {
    it('sends every alarm and its recovery to the pager topic', () => {
      const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(8); // + DeadPages, PageBacklogAge, CircuitState of genesys
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: ids.topic }]);
        expect(alarm.Properties.OKActions).toEqual([{ Ref: ids.topic }]);
      }
    });

    it('alarms on evaluate errors that persist (3 of 5 minutes)', () => {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: evaluate.fn } }],
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        Threshold: 1,
      });
    });

    it.each([
      ['evaluate', () => ids.evaluateDlq],
      ['page-delivery', () => ids.pageDlq],
    ])('alarms as soon as the %s DLQ holds a message', (_name, queue) => {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue(), 'QueueName'] } }],
        Threshold: 1,
        EvaluationPeriods: 1,
      });
    });

    it('alarms on stale observations from the controller metric, and treats silence as stale', () => {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CxSurge',
        MetricName: 'StaleQueues',
        Dimensions: [{ Name: 'service', Value: 'cx-surge-controller' }],
        Statistic: 'Maximum',
        Period: 60,
        TreatMissingData: 'breaching',
      });
    });

    it('alarms on switching failures of any actuator type from one metric (one alarm metric)', () => {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CxSurge',
        MetricName: 'SwitchFailures',
        Dimensions: [{ Name: 'service', Value: 'cx-surge-controller' }],
        Statistic: 'Sum',
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
      });
      // Every alarm reads one metric: CloudWatch bills a metric-math alarm once per metric it reads.
      for (const alarm of Object.values(s.template.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.Metrics).toBeUndefined();
      }
    });
  });

  it('charts per-queue waiting from the logs (Logs Insights), tier state, switch latency and failures', () => {
    const body = JSON.stringify(Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const expected of [
      'stats latest(waiting)',
      'sum(tier1)',
      'sum(tier3)',
      'SwitchLatency',
      'SwitchFailures',
    ]) {
      expect(body).toContain(expected);
    }
    // No metric per queue: the dashboard names no queue and no QueueId dimension.
    expect(body).not.toContain('q-sales');
    expect(body).not.toContain('QueueId');
  });

  it("runs the dashboard's Logs Insights queries over evaluate's log group only, as written", () => {
    // The body is a Fn::Join around the log group's Ref: join it with a marker and read the widgets.
    const dashboard = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const parts = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = parts.map((p) => (typeof p === 'string' ? p : '<ref>')).join('');
    const queries = (
      JSON.parse(body) as { widgets: { type: string; properties: { query?: string } }[] }
    ).widgets.flatMap((w) => (w.type === 'log' && w.properties.query ? [w.properties.query] : []));
    expect(queries).toEqual([
      `SOURCE '<ref>' | ${QUEUES_NOT_QUIET_QUERY.join('\n| ')}`,
      `SOURCE '<ref>' | ${CHUNKS_PER_MINUTE_QUERY.join('\n| ')}`,
      `SOURCE '<ref>' | ${TIERS_PER_MINUTE_QUERY.join('\n| ')}`,
    ]);
    const refs = parts.filter((p) => typeof p !== 'string').map((p) => JSON.stringify(p));
    expect(refs.filter((r) => r === JSON.stringify({ Ref: evaluate.logs }))).toHaveLength(3);
    expect(refs).not.toContain(JSON.stringify({ Ref: poller.logs }));
  });

  it('references the Genesys secrets by name without creating them', () => {
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('SurgeController options', () => {
  it('runs on the defaults with no config at all', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [EnvVar.SurgeConfigFile]: CONFIG_FILE_NAME }) },
    });
  });

  it('schedules at a longer interval from the config', () => {
    const { template } = synth({ config: { intervalSeconds: 300, staleAfterSeconds: 900 } });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'StaleQueues', Period: 300 });
  });

  it('lets cdk destroy remove state when deletion protection is off', () => {
    const { template } = synth({ deletionProtection: false });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  it('leaves concurrency unreserved when asked (accounts with a concurrency quota of 10)', () => {
    const { template } = synth({ reserveConcurrency: false });
    template.allResourcesProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('applies evaluate concurrency, log level and log retention from props', () => {
    const { template, stack } = synth({
      evaluateConcurrency: 3,
      logLevel: 'DEBUG',
      logRetention: RetentionDays.ONE_WEEK,
    });
    const evaluate =
      template.findResources('AWS::Lambda::Function')[logicalId(stack.controller.evaluator.function)];
    expect(evaluate?.Properties).toMatchObject({
      ReservedConcurrentExecutions: 3,
      Environment: { Variables: expect.objectContaining({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }) },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('drops into any stack and encrypts the table with a customer-managed key both functions may use', () => {
    // Prepare
    const stack = new Stack(newApp(), 'OwnApp', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'TableKey', { enableKeyRotation: true });
    // Act
    const controller = new SurgeController(stack, 'Surge', { tableEncryptionKey: key });
    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: JSON.parse(arnOf(logicalId(key))),
      },
    });
    for (const fn of [controller.poller, controller.evaluator]) {
      const granted = permissionsOf(template, logicalId(fn.role));
      for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']) {
        expect(granted[action]).toContain(arnOf(logicalId(key)));
      }
    }
  });

  it('creates the Genesys secrets with placeholder values when asked, and grants exactly those', () => {
    // Prepare / Act
    const { template, stack } = synth({ config: CONFIG, createSecrets: true });
    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'cx-surge/genesys-client',
      GenerateSecretString: {
        SecretStringTemplate: '{"clientId":"REPLACE_WITH_CLIENT_ID"}',
        GenerateStringKey: 'clientSecret',
      },
    });
    const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    expect(
      permissionsOf(template, logicalId(stack.controller.evaluator.role))['secretsmanager:GetSecretValue'],
    ).toEqual(secretIds.map(refOf).sort());
  });

  it('delivers pages to PagerDuty Events v2 from a sender on the table stream, the routing key only by secret name', () => {
    const { template, stack } = synth({ pagerDutyRoutingKeySecret: 'cx-surge/pagerduty-routing-key' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: ['PAGE'] } } } }) },
        ],
      },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 2,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ PAGERDUTY_ROUTING_KEY_SECRET: 'cx-surge/pagerduty-routing-key' }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'secretsmanager:GetSecretValue',
            Resource: Match.objectLike({
              'Fn::Join': Match.arrayWith([
                Match.arrayWith([Match.stringLikeRegexp('pagerduty-routing-key-\\?\\?\\?\\?\\?\\?')]),
              ]),
            }),
          }),
        ]),
      },
    });
    // Only the sender queries the due-pages index (housekeeping reads what is due), and only that index.
    const senderQueries = permissionsOf(template, logicalId(stack.controller.pageDelivery.sender.role))[
      'dynamodb:Query'
    ];
    expect(senderQueries?.some((r) => r.includes('/index/due-pages'))).toBe(true);
    expect(senderQueries?.some((r) => r.includes('/index/*'))).toBe(false);
    expect(
      permissionsOf(template, logicalId(stack.controller.evaluator.role))['dynamodb:Query']?.some((r) =>
        r.includes('/index/'),
      ),
    ).toBe(false);
    // No HTTPS subscription to PagerDuty's CloudWatch-style URL any more.
    expect(
      Object.values(template.findResources('AWS::SNS::Subscription')).map((r) => r.Properties.Protocol),
    ).not.toContain('https');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeadPages', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CircuitState',
      Dimensions: Match.arrayWith([{ Name: 'Breaker', Value: 'genesys' }]),
    });
  });

  it('triggers an extra poll from Genesys conversation events on the partner bus', () => {
    const { template, stack } = synth({ partnerEventBusName: PARTNER_BUS });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: PARTNER_BUS,
      EventPattern: {
        source: [{ prefix: 'aws.partner/genesys.com' }],
        'detail-type': [
          'v2.detail.events.conversation.{id}.acd.start',
          'v2.detail.events.conversation.{id}.acd.end',
        ],
      },
      Targets: [
        Match.objectLike({
          Arn: JSON.parse(arnOf(logicalId(stack.controller.poller.function))),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
  });

  describe('with an edge (existing alarm and KeyValueStore)', () => {
    let s: Synth;
    beforeAll(() => {
      const { app, stack } = buildStack({ config: { actuators: [kvsActuator()] } });
      const alarm = cloudwatch.Alarm.fromAlarmArn(
        stack,
        'OriginAlarm',
        `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:cx-edge-origin-5xx`,
      );
      stack.controller.bindEdge(existingEdge({ originErrorAlarm: alarm, keyValueStoreArn: KVS_ARN }));
      s = { app, stack, template: Template.fromStack(stack) };
    });

    it('sends the origin alarm state changes from the default bus to evaluate (Tier 4)', () => {
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.absent(),
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:cx-edge-origin-5xx`],
        },
        Targets: [
          Match.objectLike({ Arn: JSON.parse(arnOf(logicalId(s.stack.controller.evaluator.function))) }),
        ],
      });
    });

    it('matches the alarm state change event the drill delivers to evaluate (drill/edge/origin-alarm.ts)', () => {
      const alarm = new OriginAlarmModel(0);
      alarm.record(0, false);
      const change = alarm.record(60_000, false);
      if (!change) throw new Error('expected the drill alarm to go to ALARM');
      const event = alarmStateChangeEvent(
        change,
        `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:cx-edge-origin-5xx`,
      );
      const rules = Object.values(s.template.findResources('AWS::Events::Rule')).map(
        (r) => (r as { Properties: { EventPattern: Record<string, unknown> } }).Properties.EventPattern,
      );

      // Every field of the deployed pattern is an exact-match list: the event carries one of its values.
      expect(rules).toContainEqual({
        source: [event.source],
        'detail-type': [event['detail-type']],
        resources: event.resources,
      });
    });

    it.each(['poller', 'evaluator'] as const)(
      'lets the %s write exactly that store’s flags and tells it the ARN',
      (which) => {
        const fn = s.stack.controller[which];
        const granted = permissionsOf(s.template, logicalId(fn.role));
        for (const action of KVS_FLAG_WRITER_ACTIONS)
          expect(granted[action]).toEqual([JSON.stringify(KVS_ARN)]);
        expect(
          Object.keys(granted)
            .filter((a) => a.startsWith('cloudfront-keyvaluestore:'))
            .sort(),
        ).toEqual([...KVS_FLAG_WRITER_ACTIONS].sort());
        s.template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: Match.absent(),
          Environment: { Variables: Match.objectLike({ [EnvVar.EdgeKvsArn]: KVS_ARN }) },
        });
      },
    );
  });
});

function kvsActuator() {
  return {
    id: 'widget-flag',
    tier: 3 as const,
    type: 'cloudfront-kvs' as const,
    queues: ['*'],
    key: 'chat',
    activeValue: 'on',
    inactiveValue: 'off',
  };
}

describe('SurgeController refuses what cannot deploy', () => {
  it.each<[string, unknown]>([
    ['a restore band above its activate threshold', { tiers: { tier2: { restore: { waitingBelow: 500 } } } }],
    ['an unknown key', { tiers: { tier1: { activate: { waitingAbov: 10 } } } }],
    ['a negative interval', { intervalSeconds: -60 }],
  ])('fails construction on %s with the same message the CLI gives', (_case, config) => {
    const expected = cliMessageFor(config);
    expect(expected).toBeDefined();
    expect(() => buildStack({ config: config as SurgeConfigInput })).toThrow(expected);
  });

  it('fails on an interval EventBridge cannot schedule (not whole minutes)', () => {
    expect(() => buildStack({ config: { intervalSeconds: 90 } })).toThrow(
      /intervalSeconds: 90 must be a multiple of 60/,
    );
  });

  it('synthesizes 5,000 queues with UUID ids: the config travels as a file, the template stays small', () => {
    const queues = Array.from({ length: 5_000 }, () => ({ id: randomUUID(), name: 'A long queue name' }));
    const { stack } = buildStack({ config: { queues } });
    const template = Template.fromStack(stack).toJSON();

    const body = JSON.stringify(template);
    // CloudFormation: 1 MB per template (from S3); Lambda: 4 KB of environment variables per function.
    expect(body.length).toBeLessThan(200_000);
    expect(body).not.toContain(queues[4_999]?.id);
    for (const fn of Object.values(
      template.Resources as Record<
        string,
        { Type: string; Properties: { Environment?: { Variables: Record<string, unknown> } } }
      >,
    )) {
      if (fn.Type !== 'AWS::Lambda::Function') continue;
      expect(JSON.stringify(fn.Properties.Environment?.Variables ?? {}).length).toBeLessThan(1_000);
    }
  });

  it('copies the staged config file into each bundle, exactly as validated', () => {
    const queues = Array.from({ length: 5_000 }, () => ({ id: randomUUID() }));
    const dir = mkdtempSync(join(tmpdir(), 'surge-config-hook-'));
    try {
      const staged = stageConfigFile(JSON.stringify({ queues }), join(dir, 'staging'));
      const out = join(dir, 'asset');
      mkdirSync(out);
      for (const command of configFileHooks(staged).afterBundling(dir, out)) execSync(command);
      const copied = readFileSync(join(out, CONFIG_FILE_NAME), 'utf8');
      expect(parseConfig(JSON.parse(copied)).queues.map((q) => q.id)).toEqual(queues.map((q) => q.id));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails synth when a cloudfront-kvs actuator has no edge to write to', () => {
    const { stack } = buildStack({ config: { actuators: [kvsActuator()] } });
    expect(() => Template.fromStack(stack)).toThrow(
      /actuators\.0\.type: 'cloudfront-kvs' needs the edge KeyValueStore/,
    );
  });

  it.each<[string, SurgeControllerProps, RegExp]>([
    [
      'a partner bus that is not Genesys',
      { partnerEventBusName: 'default' },
      /partnerEventBusName: must be a Genesys Cloud partner bus/,
    ],
    [
      "PagerDuty's CloudWatch-style SNS URL (it dropped the controller's pages)",
      { pagerDutyEndpoint: 'https://events.pagerduty.com/integration/x/enqueue' },
      /pagerDutyEndpoint: is no longer supported.*pagerDutyRoutingKeySecret/,
    ],
  ])('fails on %s', (_case, props, message) => {
    expect(() => buildStack(props)).toThrow(message);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged with every option on', () => {
    // Prepare
    const { app, stack } = buildStack({
      config: { ...CONFIG, actuators: [kvsActuator()] },
      createSecrets: true,
      alertEmail: 'cx-ops@example.com',
      pagerDutyRoutingKeySecret: 'cx-surge/pagerduty-routing-key',
      partnerEventBusName: PARTNER_BUS,
    });
    const alarm = cloudwatch.Alarm.fromAlarmArn(
      stack,
      'OriginAlarm',
      `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:x`,
    );
    stack.controller.bindEdge(existingEdge({ originErrorAlarm: alarm, keyValueStoreArn: KVS_ARN }));
    // Act
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    // Assess
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only the page-delivery DLQ (SQS3) and the created secrets (SMG4), each with its reason', () => {
    const { stack } = buildStack({ config: CONFIG, createSecrets: true });
    const acks = acknowledgementsIn(stack);
    expect(acks.map((a) => `${a.path.replace(/^Surge\/Controller\//, '')} ${a.id}`).sort()).toEqual([
      'GenesysBreakGlassSecret AwsSolutions-SMG4',
      'GenesysClientSecret AwsSolutions-SMG4',
      'PageDelivery/SendPages/Role AwsSolutions-IAM5[Resource::*]',
      'PageDelivery/StreamDlq AwsSolutions-SQS3',
      'PageDeliveryDlq AwsSolutions-SQS3',
    ]);
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(60);
  });
});
