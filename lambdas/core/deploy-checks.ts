import type { SurgeConfig } from './config';
import { ConfigError } from './errors';

// What `cdk synth` refuses in a config that parses (docs/deploy.md): one place for the rules and their
// wording, so synth fails with the message and `cx-surge replay` / `drill` warn with the same one, before
// anyone finds out at deploy time. Pure: a config in, ConfigErrors out.

/** The Tier 3 flag the deployed edge function reads (lib/edge: `SurgeEdge.flag`). */
export interface EdgeFlag {
  readonly key: string;
  readonly activeValue: string;
  readonly inactiveValue: string;
}

/** EventBridge rate schedules run in whole minutes, so the poller's interval must be one. */
export function intervalRefusal(config: Pick<SurgeConfig, 'intervalSeconds'>): ConfigError | undefined {
  if (config.intervalSeconds % 60 === 0) return undefined;
  return new ConfigError(
    'intervalSeconds',
    `${config.intervalSeconds} must be a multiple of 60 to deploy (EventBridge schedules run in whole minutes)`,
  );
}

/**
 * `cloudfront-kvs` actuators need the edge's KeyValueStore (`edge` undefined: deployed without it), and
 * must write exactly the flag the edge function reads: another key or value would switch nothing while
 * the controller reports success.
 */
export function edgeRefusals(
  actuators: SurgeConfig['actuators'],
  edge: { readonly flag?: EdgeFlag } | undefined,
): ConfigError[] {
  const errors: ConfigError[] = [];
  actuators.forEach((actuator, i) => {
    if (actuator.type !== 'cloudfront-kvs') return;
    if (!edge) {
      errors.push(
        new ConfigError(
          `actuators.${i}.type`,
          "'cloudfront-kvs' needs the edge KeyValueStore: deploy with -c edge=true, or pass `edge` / call bindEdge() on SurgeController",
        ),
      );
      return;
    }
    const flag = edge.flag;
    if (!flag) return;
    for (const [field, expected] of [
      ['key', flag.key],
      ['activeValue', flag.activeValue],
      ['inactiveValue', flag.inactiveValue],
    ] as const) {
      if (actuator[field] !== expected) {
        errors.push(
          new ConfigError(
            `actuators.${i}.${field}`,
            `'${actuator[field]}' does not match the edge flag's ${field} '${expected}'`,
          ),
        );
      }
    }
  });
  return errors;
}

/** Everything synth refuses in this config, deployed with or without the edge (the CLI app's `-c edge`). */
export function deployRefusals(
  config: SurgeConfig,
  edge: { readonly flag?: EdgeFlag } | undefined,
): ConfigError[] {
  const interval = intervalRefusal(config);
  return [...(interval ? [interval] : []), ...edgeRefusals(config.actuators, edge)];
}
