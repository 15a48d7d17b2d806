import { type App, type Environment, Stack } from 'aws-cdk-lib';
import type { SurgeConfigInput } from '../lambdas/core/config';
import type { DrConfigInput } from '../lambdas/core/dr-config';
import { ConfigError } from '../lambdas/core/errors';
import { type DeployOptions, readDrConfigFile } from './deploy-context';
import { SurgeEdge } from './edge';
import { SurgeControllerStack } from './surge-controller-stack';

/** CloudFront and Route 53 publish metrics only in us-east-1, so the edge alarm and its events live there. */
export const EDGE_REGION = 'us-east-1';

export interface SurgeStacks {
  readonly controller: SurgeControllerStack;
  /** Present with `-c edge=true`. */
  readonly edge?: Stack;
}

/**
 * The stacks `cdk deploy` creates: the controller, and with the edge option the edge stack it binds to
 * (Tier 4 alarm events and the Tier 3 flag store). Both in us-east-1 then: the alarm's state-change events
 * reach only that region's default bus.
 */
export function addSurgeStacks(
  app: App,
  options: DeployOptions,
  config: SurgeConfigInput,
  env: Environment,
): SurgeStacks {
  const dr = options.dr
    ? { config: readDrConfigFile(options.dr.configPath) as DrConfigInput, engineers: options.dr.engineers }
    : undefined;
  if (!options.edge) {
    return {
      controller: new SurgeControllerStack(app, options.stackName, {
        env,
        controller: { ...options.controller, config },
        crm: options.crm,
        ...(dr ? { dr } : {}),
      }),
    };
  }
  if (env.region !== undefined && env.region !== EDGE_REGION) {
    throw new ConfigError(
      'context.edge',
      `the edge and the controller deploy to ${EDGE_REGION} (CloudFront metrics and alarm events exist only there), but the target region is ${env.region}; set AWS_REGION=${EDGE_REGION}, or bind an existing edge with existingEdge() in your own app`,
    );
  }
  const edgeEnv = { ...env, region: EDGE_REGION };
  const edgeStack = new Stack(app, `${options.stackName}-Edge`, {
    env: edgeEnv,
    description: 'cx-surge-controller edge tiers: Tier 3 widget throttling, Tier 4 static fallback',
  });
  const edge = new SurgeEdge(edgeStack, 'Edge', options.edge);
  const controller = new SurgeControllerStack(app, options.stackName, {
    env: edgeEnv,
    controller: { ...options.controller, config, edge },
    crm: options.crm,
    ...(dr ? { dr } : {}),
  });
  controller.addStackDependency(edgeStack, 'binds the edge alarm and KeyValueStore');
  return { controller, edge: edgeStack };
}
