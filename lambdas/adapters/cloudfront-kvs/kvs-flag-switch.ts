// The `cloudfront-kvs` actuator: puts one KeyValueStore key to the actuator's active or inactive value.
//
//   DescribeKeyValueStore ─▶ ETag ─▶ GetKey ─┬─ already wanted ─▶ done (no write)
//                                           └─ PutKey(IfMatch: ETag) ─┬─ ok ─▶ GetKey (verify) ─▶ done
//                                                                     └─ ConflictException ─▶ back off, start over
//
// The ETag is read before the value, so a write by anybody in between makes our PutKey fail rather than
// overwrite a value we never saw. Throttling and 5xx are retried by the SDK's own retry strategy.
import type { Actuator } from '../../core/config';
import { ConfigError, SwitchError } from '../../core/errors';
import type { ActuatorState, Clock, SurgeSwitch, SwitchOutcome } from '../../core/ports';
import { KVS_MAX_KEY_BYTES, KVS_MAX_VALUE_BYTES } from '../../edge/edge-config';
import { EtagConflictError, type KeyValueStoreApi } from './key-value-store';

export interface KvsFlagSwitchOptions {
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Full-jitter source in [0, 1). */
  readonly random?: () => number;
  /** Attempts in total when writes keep losing ETag races. @default 4 */
  readonly maxAttempts?: number;
  /** Backoff base for ETag conflicts. @default 50 */
  readonly baseDelayMs?: number;
}

const systemClock: Clock = { now: () => Date.now() };
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function checkSize(value: string, max: number, field: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0 || bytes > max) throw new ConfigError(field, `must be 1..${max} bytes, got ${bytes}`);
}

export class KvsFlagSwitch implements SurgeSwitch {
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly store: KeyValueStoreApi,
    options: KvsFlagSwitchOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 50;
  }

  async apply(
    actuator: Actuator,
    state: ActuatorState,
    options: { deadline?: number } = {},
  ): Promise<SwitchOutcome> {
    if (actuator.type !== 'cloudfront-kvs') {
      throw new SwitchError(
        `actuator '${actuator.id}' has type '${actuator.type}'; this switch handles 'cloudfront-kvs'`,
      );
    }
    const key = actuator.key;
    const wanted = state === 'active' ? actuator.activeValue : actuator.inactiveValue;
    checkSize(key, KVS_MAX_KEY_BYTES, `actuators[${actuator.id}].key`);
    checkSize(
      wanted,
      KVS_MAX_VALUE_BYTES,
      `actuators[${actuator.id}].${state === 'active' ? 'activeValue' : 'inactiveValue'}`,
    );
    const where = `actuator '${actuator.id}' (key '${key}')`;

    for (let attempt = 1; ; attempt++) {
      if (options.deadline !== undefined && this.clock.now() >= options.deadline) {
        throw new SwitchError(`${where}: deadline passed before the flag was set to '${wanted}'`);
      }
      try {
        const etag = await this.store.etag();
        const current = await this.store.get(key);
        if (current === wanted) return { state, changed: false, usedBreakGlass: false };
        await this.store.put(key, wanted, etag);
        const readBack = await this.store.get(key);
        if (readBack !== wanted) {
          throw new SwitchError(
            `${where}: read-back gave '${readBack ?? '(missing)'}', expected '${wanted}'`,
          );
        }
        return { state, changed: true, usedBreakGlass: false };
      } catch (e) {
        if (e instanceof EtagConflictError && attempt < this.maxAttempts) {
          await this.sleep(Math.floor(this.random() * this.baseDelayMs * 2 ** (attempt - 1)));
          continue;
        }
        if (e instanceof EtagConflictError) {
          throw new SwitchError(
            `${where}: lost ${attempt} ETag races in a row; leaving it to the next tick`,
            { cause: e },
          );
        }
        if (e instanceof SwitchError) throw e;
        throw new SwitchError(`${where}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, {
          cause: e,
        });
      }
    }
  }
}
