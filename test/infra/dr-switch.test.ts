// The DR switchover in the stack: dr-switch's least privilege, the emergency-access role (MFA, two
// permissions), the daily readiness schedule, the timeout sized for the largest plan, cdk-nag clean,
// and an unchanged stack when DR is not configured.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { drillDrConfig } from '../../drill/dr-stand-ins';
import type { DrConfigInput } from '../../lambdas/core/dr-config';
import { DR_TABLE_ACTIONS, DR_TABLE_PARTITIONS, drSwitchTimeoutSeconds } from '../../lib/dr-switch';
import { SurgeControllerStack } from '../../lib/surge-controller-stack';
import { ACCOUNT, arnOf, logicalId, newApp, permissionsOf, REGION, refOf } from './support';

const DR_CONFIG: DrConfigInput = {
  primary: {
    region: 'us_east_1',
    credentialsSecret: 'cx-surge/genesys-client',
    breakGlassSecret: 'cx-surge/break-glass',
  },
  backup: {
    region: 'us_west_2',
    credentialsSecret: 'cx-surge/dr-backup-client',
    breakGlassSecret: 'cx-surge/dr-backup-break-glass',
  },
  backupIvrs: [
    { id: 'ivr-dr-east', emergencyFlowId: 'flow-dr-emergency', dids: ['+13175550100', '+13175550101'] },
  ],
};
const ENGINEERS = [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:role/oncall-sso`];

const secretPattern = (name: string): string =>
  JSON.stringify({
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-??????`],
    ],
  });

function build(dr?: { config: DrConfigInput; engineers: readonly string[] }) {
  const app = newApp();
  const stack = new SurgeControllerStack(app, 'Surge', {
    env: { account: ACCOUNT, region: REGION },
    controller: {},
    ...(dr ? { dr } : {}),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

describe('DrSwitch in the controller stack', () => {
  const { stack, template } = build({ config: DR_CONFIG, engineers: ENGINEERS });
  const dr = stack.drSwitch;
  if (!dr) throw new Error('no DrSwitch');
  const role = logicalId(dr.role);
  const fn = logicalId(dr.function);
  const table = logicalId(stack.controller.table);
  const topic = logicalId(stack.controller.pagerTopic);
  const key = logicalId(stack.controller.pagerTopicKey);

  it('dr-switch may do exactly: its logs, the DR/PAGE/BREAKER partitions, four named secrets, publish pages', () => {
    const perms = permissionsOf(template, role);
    const logs = Object.keys(perms).filter((a) => a.startsWith('logs:'));
    expect(logs.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const { 'logs:CreateLogStream': _c, 'logs:PutLogEvents': _p, ...rest } = perms;
    expect(rest).toEqual({
      ...Object.fromEntries(DR_TABLE_ACTIONS.map((a) => [a, [arnOf(table)]])),
      'secretsmanager:GetSecretValue': [
        'cx-surge/break-glass',
        'cx-surge/dr-backup-break-glass',
        'cx-surge/dr-backup-client',
        'cx-surge/genesys-client',
      ]
        .map(secretPattern)
        .sort(),
      'sns:Publish': [refOf(topic)],
      'kms:GenerateDataKey': [arnOf(key)],
      'kms:Decrypt': [arnOf(key)],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [...DR_TABLE_ACTIONS],
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...DR_TABLE_PARTITIONS] } },
          }),
        ]),
      },
    });
  });

  it('the emergency-access role: the named engineers with MFA; read the break-glass secrets, invoke dr-switch, nothing else', () => {
    const emergency = logicalId(dr.emergencyRole);
    const trust = template.toJSON().Resources[emergency].Properties.AssumeRolePolicyDocument.Statement;
    // One statement per engineer, each only with MFA, and nobody else.
    expect(trust.map((st: { Principal: { AWS: string } }) => st.Principal.AWS).sort()).toEqual(
      [...ENGINEERS].sort(),
    );
    for (const st of trust) {
      expect(st.Action).toBe('sts:AssumeRole');
      expect(st.Condition).toEqual({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } });
    }
    expect(permissionsOf(template, emergency)).toEqual({
      'secretsmanager:GetSecretValue': ['cx-surge/break-glass', 'cx-surge/dr-backup-break-glass']
        .map(secretPattern)
        .sort(),
      'lambda:InvokeFunction': [arnOf(fn)],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: Match.anyValue(),
    });
  });

  it('runs readiness daily with {"action":"readiness"} and pages dr-switch errors', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 7 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, Input: '{"action":"readiness"}' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      AlarmActions: [{ Ref: topic }],
    });
  });

  it('sizes the timeout for the largest plan, and keeps secrets and the DID list out of the environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: drSwitchTimeoutSeconds(dr.config),
      Environment: { Variables: Match.objectLike({ STATE_TABLE_NAME: { Ref: table } }) },
    });
    const env = JSON.stringify(template.toJSON().Resources[fn].Properties.Environment);
    expect(env).not.toMatch(/\+1317555|clientSecret|SURGE_DR_CONFIG/);
    // 1,000 DIDs one row each (+2 % read-backs, +10 reads) at 290 calls/min: 213 s paced, ×1.5 + 2 min.
    expect(drSwitchTimeoutSeconds(drillDrConfig({ dids: 1000, ivrs: 20 }))).toBe(440);
    expect(drSwitchTimeoutSeconds(drillDrConfig({ dids: 20_000, ivrs: 20 }))).toBe(900);
  });

  it('passes cdk-nag AwsSolutions', () => {
    const { app, stack: s } = build({ config: DR_CONFIG, engineers: ENGINEERS });
    const report = new AwsSolutionsChecks(app).validateScope(s);
    expect(report.violations).toEqual([]);
  });

  it('leaves a stack without DR unchanged: no dr-switch, no emergency role', () => {
    const without = build().template;
    const functions = Object.keys(without.findResources('AWS::Lambda::Function')).length;
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).length).toBe(functions + 1);
    expect(JSON.stringify(without.toJSON())).not.toMatch(/DrSwitch|EmergencyAccess/);
  });

  it('refuses an invalid DR config or no engineers at synth, naming the key', () => {
    expect(() => build({ config: { ...DR_CONFIG, backupIvrs: [] }, engineers: ENGINEERS })).toThrow(
      /backupIvrs: must name at least one backup IVR/,
    );
    expect(() => build({ config: DR_CONFIG, engineers: [] })).toThrow(
      /drEngineers: name at least one engineer/,
    );
    expect(() => build({ config: DR_CONFIG, engineers: ['alice'] })).toThrow(
      /drEngineers.0: 'alice' is not an IAM/,
    );
  });
});
