import type { Actuator, ActuatorType } from '../core/config';
import { SwitchError } from '../core/errors';
import type { ActuatorState, SurgeSwitch, SwitchOutcome } from '../core/ports';

/** `notify-only` actuators switch nothing: their effect is the page their episode sends. */
export const notifyOnlySwitch: SurgeSwitch = {
  async apply(_actuator: Actuator, state: ActuatorState): Promise<SwitchOutcome> {
    return { state, changed: true, usedBreakGlass: false };
  },
};

/** Routes each actuator to the adapter for its type (Genesys levers, CloudFront KVS, notify-only). */
export class SwitchRouter implements SurgeSwitch {
  constructor(private readonly byType: Partial<Record<ActuatorType, SurgeSwitch>>) {}

  apply(actuator: Actuator, state: ActuatorState, options?: { deadline?: number }): Promise<SwitchOutcome> {
    const target = this.byType[actuator.type];
    if (!target) {
      return Promise.reject(
        new SwitchError(
          `no switch configured for actuator type '${actuator.type}' (actuator ${actuator.id})`,
        ),
      );
    }
    return target.apply(actuator, state, options);
  }

  /** `unknown` when the target's switch cannot read: the caller reads back through `apply`, leased. */
  async read(actuator: Actuator, options?: { deadline?: number }): Promise<ActuatorState | 'unknown'> {
    const target = this.byType[actuator.type];
    return target?.read ? target.read(actuator, options) : 'unknown';
  }
}
