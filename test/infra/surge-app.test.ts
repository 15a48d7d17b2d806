import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../lambdas/adapters/telemetry-names';
import type { SurgeConfigInput } from '../../lambdas/core/config';
import { EDGE_DEFAULTS } from '../../lambdas/edge/edge-config';
import { KVS_FLAG_WRITER_ACTIONS } from '../../lib/controller-function';
import { type DeployOptions, deployOptionsFromContext } from '../../lib/deploy-context';
import { addSurgeStacks, EDGE_REGION, type SurgeStacks } from '../../lib/surge-app';
import { ACCOUNT, logicalId, newApp, permissionsOf } from './support';

const EDGE_CONTEXT = {
  edge: 'true',
  edgeOriginDomain: 'origin.shop.example',
  edgeSupportEmail: 'help@shop.example',
  edgeFaqUrl: 'https://shop.example/faq',
};
const options = (context: Record<string, unknown>): DeployOptions =>
  deployOptionsFromContext((key) => context[key]);

const tier3Flag = (overrides: Partial<{ key: string; activeValue: string; inactiveValue: string }> = {}) => ({
  id: 'widget-throttle',
  tier: 3 as const,
  type: 'cloudfront-kvs' as const,
  queues: ['*'],
  key: EDGE_DEFAULTS.flagKey,
  activeValue: EDGE_DEFAULTS.flagOnValue,
  inactiveValue: EDGE_DEFAULTS.flagOffValue,
  ...overrides,
});

describe('addSurgeStacks', () => {
  it('builds only the controller stack, in the target region, without the edge option', () => {
    const app = newApp();
    const stacks = addSurgeStacks(app, options({}), {}, { account: ACCOUNT, region: 'eu-west-1' });
    expect(stacks.edge).toBeUndefined();
    expect(stacks.controller.region).toBe('eu-west-1');
    expect(app.node.children.map((c) => c.node.id)).toEqual(['CxSurgeController']);
  });

  describe('with -c edge=true', () => {
    let stacks: SurgeStacks;
    let controller: Template;
    beforeAll(() => {
      const config: SurgeConfigInput = { actuators: [tier3Flag()] };
      stacks = addSurgeStacks(newApp(), options(EDGE_CONTEXT), config, {
        account: ACCOUNT,
        region: EDGE_REGION,
      });
      controller = Template.fromStack(stacks.controller);
    });

    it('deploys the edge stack first, both in us-east-1', () => {
      expect(stacks.edge?.stackName).toBe('CxSurgeController-Edge');
      expect(stacks.edge?.region).toBe(EDGE_REGION);
      expect(stacks.controller.region).toBe(EDGE_REGION);
      expect(stacks.controller.dependencies).toContain(stacks.edge);
    });

    it('routes the edge origin alarm’s state changes to evaluate', () => {
      controller.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.absent(),
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: [{ 'Fn::ImportValue': Match.stringLikeRegexp('OriginErrorAlarm') }],
        },
      });
    });

    it('lets both Lambdas write the edge flag store, and only that', () => {
      const c = stacks.controller.controller;
      for (const fn of [c.poller, c.evaluator]) {
        const granted = permissionsOf(controller, logicalId(fn.role));
        const kvs = Object.keys(granted).filter((a) => a.startsWith('cloudfront-keyvaluestore:'));
        expect(kvs.sort()).toEqual([...KVS_FLAG_WRITER_ACTIONS].sort());
        for (const action of kvs) {
          expect(granted[action]).toHaveLength(1);
          expect(granted[action]?.[0]).toMatch(/Fn::ImportValue.*FlagStore/);
        }
      }
      controller.resourcePropertiesCountIs(
        'AWS::Lambda::Function',
        { Environment: { Variables: Match.objectLike({ [EnvVar.EdgeKvsArn]: Match.anyValue() }) } },
        2,
      );
    });

    it('passes cdk-nag AwsSolutions in both stacks', () => {
      const app = stacks.controller.node.scope;
      if (!app || !stacks.edge) throw new Error('stacks not built');
      const checks = new AwsSolutionsChecks(app);
      expect(checks.validateScope(stacks.controller).violations).toEqual([]);
      expect(new AwsSolutionsChecks(app).validateScope(stacks.edge).violations).toEqual([]);
    });
  });

  it('refuses the edge option when the target region cannot see CloudFront metrics', () => {
    expect(() =>
      addSurgeStacks(newApp(), options(EDGE_CONTEXT), {}, { account: ACCOUNT, region: 'eu-west-1' }),
    ).toThrow(/context\.edge: the edge and the controller deploy to us-east-1/);
  });

  it('refuses the edge option without the edge settings', () => {
    expect(() => options({ edge: 'true', edgeOriginDomain: 'origin.shop.example' })).toThrow(
      /context\.edgeSupportEmail: is required with edge=true/,
    );
  });

  it('fails synth when a cloudfront-kvs actuator writes a flag the edge function does not read', () => {
    const config: SurgeConfigInput = { actuators: [tier3Flag({ key: 'chat-throttle' })] };
    const stacks = addSurgeStacks(newApp(), options(EDGE_CONTEXT), config, {
      account: ACCOUNT,
      region: EDGE_REGION,
    });
    expect(() => Template.fromStack(stacks.controller)).toThrow(
      /actuators\.0\.key: 'chat-throttle' does not match the edge flag's key 'chat-widget-throttle'/,
    );
  });
});
