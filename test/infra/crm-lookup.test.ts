// The CRM screen-pop lookup's infrastructure: the function, the role Genesys assumes (and what it may
// do: invoke this function, nothing else), least-privilege table access, alarms, cdk-nag.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/core/errors';
import { CRM_LEADING_KEYS } from '../../lib/crm-lookup';
import { deployOptionsFromContext } from '../../lib/deploy-context';
import { SurgeControllerStack } from '../../lib/surge-controller-stack';
import { ACCOUNT, newApp, permissionsOf, REGION } from './support';

const GENESYS_ACCOUNT = '765628985471';
const ORG_ID = 'b5c7e1a4-0000-4000-8000-0123456789ab';
const CRM_CONFIG = {
  primary: {
    baseUrl: 'https://crm.example.com/api',
    tokenUrl: 'https://crm.example.com/oauth/token',
    credentialsSecret: 'cx-surge/crm-primary',
  },
  secondary: {
    baseUrl: 'https://replica.crm.example.com/api',
    tokenUrl: 'https://replica.crm.example.com/oauth/token',
    credentialsSecret: 'cx-surge/crm-replica',
  },
};

function synth(
  crm: object | null = { config: CRM_CONFIG, genesysAccountId: GENESYS_ACCOUNT, genesysOrgId: ORG_ID },
) {
  const app = newApp();
  const stack = new SurgeControllerStack(app, 'Surge', {
    env: { account: ACCOUNT, region: REGION },
    controller: {},
    ...(crm ? { crm: crm as never } : {}),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

const { app, stack, template } = synth();
const lookup = stack.crmLookup;
const idOf = (c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as import('aws-cdk-lib').CfnElement);

describe('CrmLookup', () => {
  it('is absent unless crmConfig is given: existing deploys are unchanged', () => {
    const plain = synth(null);
    expect(plain.stack.crmLookup).toBeUndefined();
    expect(Object.keys(plain.template.findResources('AWS::Lambda::Function'))).toHaveLength(
      Object.keys(template.findResources('AWS::Lambda::Function')).length - 1,
    );
  });

  it('runs crm-lookup with a timeout just above the budget and its config as a bundled file (no secret values)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('CRM screen-pop lookup'),
      Timeout: 5,
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          CRM_CONFIG_FILE: 'crm-config.json',
          STATE_TABLE_NAME: { Ref: Match.anyValue() },
        }),
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/clientSecret/);
    // The config is not in the template (no env var limit): bundling copies the staged file into the asset.
    expect(JSON.stringify(template.toJSON())).not.toContain(CRM_CONFIG.primary.baseUrl);
    const staged = readdirSync(join(app.outdir, 'crm-config'));
    expect(staged.map((f) => JSON.parse(readFileSync(join(app.outdir, 'crm-config', f), 'utf8')))).toEqual([
      CRM_CONFIG,
    ]);
  });

  it('lets Genesys assume the invoke role only from its account with the org id as external id', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Join': ['', Match.arrayWith([`:iam::${GENESYS_ACCOUNT}:root`])] } },
            Condition: { StringEquals: { 'sts:ExternalId': ORG_ID } },
          },
        ],
      },
    });
  });

  it('the invoke role may invoke this function and nothing else', () => {
    expect(permissionsOf(template, idOf(lookup?.invokeRole as never))).toEqual({
      'lambda:InvokeFunction': [JSON.stringify({ 'Fn::GetAtt': [idOf(lookup?.function as never), 'Arn'] })],
    });
  });

  it('the function may read/write only its own partitions of the table, and read only the two CRM secrets', () => {
    const permissions = permissionsOf(template, idOf(lookup?.role as never));
    expect(Object.keys(permissions).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
    expect(permissions['secretsmanager:GetSecretValue']).toHaveLength(2);
    expect(permissions['secretsmanager:GetSecretValue']?.join()).toMatch(
      /crm-primary-\?\?\?\?\?\?.*crm-replica-\?\?\?\?\?\?|crm-replica-\?\?\?\?\?\?.*crm-primary-\?\?\?\?\?\?/,
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...CRM_LEADING_KEYS] } },
          }),
        ]),
      },
    });
  });

  it('probes the CRM breakers every minute with the prober event', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ crmProbe: true }) })],
    });
  });

  it('alarms on a fallback rate above the guard threshold and on errors, to the pager topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('needed the fallback'),
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(tried >= 20, 100 * fallbacks / tried, 0)' }),
      ]),
      AlarmActions: [{ Ref: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('crm-lookup failed'),
      MetricName: 'Errors',
    });
  });

  it('passes cdk-nag AwsSolutions without acknowledgements', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.filter((v) => JSON.stringify(v).includes('CrmLookup'))).toEqual([]);
  });

  it('refuses a Genesys account id that is not 12 digits, and a bad CRM config, naming the key', () => {
    expect(() => synth({ config: CRM_CONFIG, genesysAccountId: 'genesys', genesysOrgId: ORG_ID })).toThrow(
      /context\.genesysAccountId/,
    );
    expect(() =>
      synth({
        config: { primary: { baseUrl: 'nope' } },
        genesysAccountId: GENESYS_ACCOUNT,
        genesysOrgId: ORG_ID,
      }),
    ).toThrow(ConfigError);
  });

  it('reads crmConfig, genesysAccountId and genesysOrgId from context, requiring both ids', () => {
    const ctx = (values: Record<string, string>) => deployOptionsFromContext((k) => values[k]);
    expect(ctx({}).crm).toBeUndefined();
    expect(() => ctx({ crmConfig: 'package.json', genesysOrgId: ORG_ID })).toThrow(
      /context\.genesysAccountId: is required/,
    );
  });
});
