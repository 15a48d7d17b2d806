import { App, aws_lambda as lambda, Stack } from 'aws-cdk-lib';
import { Annotations as AssertAnnotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { EDGE_DEFAULTS } from '../../lambdas/edge/edge-config';
import { SurgeEdge, type SurgeEdgeProps } from '../../lib/edge';

const required: SurgeEdgeProps = {
  originDomainName: 'origin.shop.example',
  supportEmail: 'help@shop.example',
  faqUrl: 'https://help.shop.example/faq',
};

function synth(props: Partial<SurgeEdgeProps> = {}, region = 'us-east-1') {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'EdgeTest', { env: { account: '123456789012', region } });
  const edge = new SurgeEdge(stack, 'Edge', { ...required, ...props });
  return { app, stack, edge };
}

const base = synth();
const template = Template.fromStack(base.stack);
const id = (construct: { node: { defaultChild?: unknown } }) =>
  base.stack.getLogicalId(construct.node.defaultChild as import('aws-cdk-lib').CfnElement);

function distributionConfig(t: Template = template) {
  const [distribution] = Object.values(t.findResources('AWS::CloudFront::Distribution'));
  return (distribution as { Properties: { DistributionConfig: Record<string, unknown> } }).Properties
    .DistributionConfig;
}

describe('SurgeEdge: Tier 3', () => {
  it('creates a cloudfront-js-2.0 function associated with the flag KeyValueStore', () => {
    template.hasResourceProperties('AWS::CloudFront::Function', {
      AutoPublish: true,
      FunctionConfig: {
        Runtime: 'cloudfront-js-2.0',
        KeyValueStoreAssociations: [
          { KeyValueStoreARN: { 'Fn::GetAtt': [id(base.edge.keyValueStore), 'Arn'] } },
        ],
      },
      FunctionCode: Match.stringLikeRegexp(`^import cf from 'cloudfront';`),
    });
    template.resourceCountIs('AWS::CloudFront::KeyValueStore', 1);
  });

  it('runs the function on viewer requests for the Messenger bootstrap path only', () => {
    const config = distributionConfig();
    const behaviors = config.CacheBehaviors as Array<Record<string, unknown>>;
    const bootstrap = behaviors.find((b) => b.PathPattern === EDGE_DEFAULTS.messengerScriptPath);

    expect(bootstrap?.FunctionAssociations).toEqual([
      {
        EventType: 'viewer-request',
        FunctionARN: { 'Fn::GetAtt': [id(base.edge.widgetThrottleFunction), 'FunctionARN'] },
      },
    ]);
    expect((config.DefaultCacheBehavior as Record<string, unknown>).FunctionAssociations).toBeUndefined();
    expect(behaviors.filter((b) => b.FunctionAssociations)).toHaveLength(1);
  });

  it('makes browsers revalidate the real bootstrap on every page view', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        CustomHeadersConfig: { Items: [{ Header: 'Cache-Control', Value: 'no-cache', Override: true }] },
      },
    });
  });

  it('grants a flag writer exactly the KVS data-plane actions on this store and sets EDGE_KVS_ARN', () => {
    const { stack, edge } = synth();
    const fn = new lambda.Function(stack, 'Evaluate', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });

    edge.bindFlagWriter(fn);

    const t = Template.fromStack(stack);
    const kvsArn = {
      'Fn::GetAtt': [stack.getLogicalId(edge.keyValueStore.node.defaultChild as never), 'Arn'],
    };
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'cloudfront-keyvaluestore:DescribeKeyValueStore',
              'cloudfront-keyvaluestore:GetKey',
              'cloudfront-keyvaluestore:PutKey',
            ],
            Resource: kvsArn,
          },
        ],
      },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { EDGE_KVS_ARN: kvsArn } },
    });
  });
});

describe('SurgeEdge: Tier 4', () => {
  it('fails the site over to the fallback bucket on 500, 502, 503 and 504', () => {
    const groups = (
      distributionConfig().OriginGroups as {
        Items: Array<
          Record<string, unknown> & { Id?: string; Members?: { Items: Array<{ OriginId: string }> } }
        >;
      }
    ).Items;

    expect(groups).toHaveLength(1);
    expect(groups[0]?.FailoverCriteria).toEqual({
      StatusCodes: { Items: [500, 502, 503, 504], Quantity: 4 },
    });
    const origins = distributionConfig().Origins as Array<
      Record<string, unknown> & { Id?: string; Members?: { Items: Array<{ OriginId: string }> } }
    >;
    const [primaryId, secondaryId] = groups[0]?.Members?.Items.map((m) => m.OriginId) ?? [];
    expect(origins.find((o) => o.Id === primaryId)).toMatchObject({
      DomainName: 'origin.shop.example',
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    expect(origins.find((o) => o.Id === secondaryId)?.OriginAccessControlId).toBeDefined();
    expect((distributionConfig().DefaultCacheBehavior as Record<string, unknown>).TargetOriginId).toBe(
      groups[0]?.Id,
    );
  });

  it('reads the private fallback bucket through origin access control only', () => {
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'fallback-bucket/' }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id(base.edge.fallbackBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('serves the fallback page for a failed-over deep link (S3 403) with status 503, and its assets straight from the bucket', () => {
    const config = distributionConfig();

    expect(config.CustomErrorResponses).toEqual([
      {
        ErrorCode: 403,
        ResponseCode: 503,
        ResponsePagePath: '/support-fallback.html',
        ErrorCachingMinTTL: 10,
      },
    ]);
    const fallbackBehavior = (config.CacheBehaviors as Array<Record<string, unknown>>).find(
      (b) => b.PathPattern === '/support-fallback*',
    );
    const groupId = (config.OriginGroups as { Items: Array<{ Id: string }> }).Items[0]?.Id;
    expect(fallbackBehavior?.TargetOriginId).not.toBe(groupId);
    template.hasResourceProperties('Custom::CDKBucketDeployment', { Prune: false });
  });

  it('can leave 403s alone for sites that return their own 403 pages', () => {
    const t = Template.fromStack(synth({ fallbackOnForbidden: false }).stack);

    expect(distributionConfig(t).CustomErrorResponses).toBeUndefined();
  });

  it('alarms when the origin health check fails for 2 minutes or the viewer 5xx rate stays high', () => {
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'HTTPS',
        FullyQualifiedDomainName: 'origin.shop.example',
        ResourcePath: '/',
        Port: 443,
        RequestInterval: 30,
        FailureThreshold: 3,
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Route53',
      MetricName: 'HealthCheckStatus',
      Statistic: 'Minimum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'missing',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Dimensions: [
        { Name: 'DistributionId', Value: { Ref: id(base.edge.distribution) } },
        { Name: 'Region', Value: 'Global' },
      ],
      Statistic: 'Average',
      Period: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composite).toHaveLength(1);
    expect(JSON.stringify(composite[0])).toMatch(/ALARM\(.*\) OR ALARM\(.*\)/);
    expect(base.stack.resolve(base.edge.originErrorAlarm.alarmArn)).toEqual({
      'Fn::GetAtt': [Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm'))[0], 'Arn'],
    });
  });

  it('uses the viewer 5xx alarm alone when the origin health check is turned off', () => {
    const { stack, edge } = synth({ originHealthCheckPath: false });
    const t = Template.fromStack(stack);

    t.resourceCountIs('AWS::Route53::HealthCheck', 0);
    t.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(stack.resolve(edge.originErrorAlarm.alarmArn)).toEqual({
      'Fn::GetAtt': [Object.keys(t.findResources('AWS::CloudWatch::Alarm'))[0], 'Arn'],
    });
  });
});

describe('SurgeEdge: guard rails', () => {
  it('refuses a region other than us-east-1, where its metrics would never arrive', () => {
    const { stack } = synth({}, 'eu-west-1');

    AssertAnnotations.fromStack(stack).hasError(
      '/EdgeTest/Edge',
      Match.stringLikeRegexp('must be deployed in us-east-1'),
    );
  });

  it.each([
    [{ originDomainName: 'https://origin.shop.example' }, /^originDomainName: must be a bare domain name/],
    [{ faqUrl: 'javascript:alert(1)' }, /^stub\.faqUrl: must be an https:\/\/ URL or a \/path/],
    [{ supportEmail: 'not-an-address' }, /^stub\.email: 'not-an-address' is not an e-mail address/],
    [
      { fallback: { links: [{ label: 'Status', href: 'http://status.example' }] } },
      /^fallback\.links\.0\.href/,
    ],
    [{ domainNames: ['shop.example'] }, /^certificate: give domainNames and certificate together/],
    [
      { messengerScriptPath: '/genesys/*' },
      /^messengerScriptPath: must be an absolute path without query or wildcards/,
    ],
    [{ flagOnValue: 'off' }, /^flagOnValue: must differ/],
  ])('rejects %j with an error naming the setting', (props, message) => {
    expect(() => synth(props as Partial<SurgeEdgeProps>)).toThrow(message);
  });

  it.each([
    ['in a stack with an explicit environment', () => base],
    [
      'in an environment-agnostic stack',
      () => {
        const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
        const stack = new Stack(app, 'Agnostic');
        new SurgeEdge(stack, 'Edge', required);
        return { app, stack };
      },
    ],
  ])('passes cdk-nag AwsSolutions with no unacknowledged finding %s', (_case, build) => {
    const { app, stack } = build();

    const report = new AwsSolutionsChecks(app).validateScope(stack);

    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
