// Shared helpers for the infra tests: build the stack without bundling, and read IAM as
// "action → resources" so a test can say exactly what a role may do (and so nothing broader).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { SurgeControllerProps } from '../../lib/surge-controller';
import { SurgeControllerStack } from '../../lib/surge-controller-stack';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export interface Synth {
  readonly app: App;
  readonly stack: SurgeControllerStack;
  readonly template: Template;
}

/** The feature flags cdk.json gives `cdk synth`, so tests see the template users deploy. */
const cdkJsonContext = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** Bundling skipped: the template is what matters here; `npm run synth` and the bench bundle for real. */
export function newApp(): App {
  return new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
}

export function buildStack(props: SurgeControllerProps = {}, app: App = newApp()): Omit<Synth, 'template'> {
  const stack = new SurgeControllerStack(app, 'Surge', {
    env: { account: ACCOUNT, region: REGION },
    controller: props,
  });
  return { app, stack };
}

export function synth(props: SurgeControllerProps = {}): Synth {
  const built = buildStack(props);
  return { ...built, template: Template.fromStack(built.stack) };
}

export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/**
 * Every Allow of the identity policies attached to `roleLogicalId`, as action → resources (JSON of
 * each resource, sorted). Comparing the whole map with toEqual proves nothing broader was granted.
 */
export function permissionsOf(template: Template, roleLogicalId: string): Record<string, string[]> {
  const policies = template.findResources('AWS::IAM::Policy');
  const out: Record<string, Set<string>> = {};
  for (const policy of Object.values(policies)) {
    const roles = (policy.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
    if (!roles.includes(roleLogicalId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
      if (statement.Effect !== 'Allow') continue;
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const action of actions) {
        out[action] ??= new Set();
        for (const resource of resources) out[action].add(JSON.stringify(resource));
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([action, set]) => [action, [...set].sort()]));
}

/** JSON of a GetAtt Arn / Ref, as they appear in policies. */
export const arnOf = (id: string): string => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
export const refOf = (id: string): string => JSON.stringify({ Ref: id });

/** The acknowledgements recorded with Validations.of(…).acknowledge, with the path they sit on. */
export function acknowledgementsIn(scope: IConstruct): { path: string; id: string; reason: string }[] {
  const out: { path: string; id: string; reason: string }[] = [];
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: node.node.path, id: id.replace(/^Annotation::/, ''), reason });
      }
    }
  }
  return out;
}
