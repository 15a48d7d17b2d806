// The local stand-in: the same switch over an in-memory store with real ETag semantics, and the edge
// function reading the flag from that store (what a drill with a cloudfront-kvs actuator exercises).
import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, LocalKeyValueStoreSwitch } from '../../../lambdas/adapters/cloudfront-kvs';
import type { ActuatorOf } from '../../../lambdas/core/config';
import { EDGE_DEFAULTS } from '../../../lambdas/edge/edge-config';
import {
  isGeneratedResponse,
  kvsHandleFrom,
  loadViewerRequestFunction,
  viewerRequestEvent,
} from '../../../lambdas/edge/local-runtime';
import { renderWidgetThrottleFunction } from '../../../lambdas/edge/render';

const actuator: ActuatorOf<'cloudfront-kvs'> = {
  id: 'widget-throttle',
  tier: 3,
  type: 'cloudfront-kvs',
  queues: ['*'],
  key: EDGE_DEFAULTS.flagKey,
  activeValue: EDGE_DEFAULTS.flagOnValue,
  inactiveValue: EDGE_DEFAULTS.flagOffValue,
};

/** A store where somebody else writes once, between our ETag read and our PutKey. */
class RacingStore extends InMemoryKeyValueStore {
  private raced = false;
  override async get(key: string) {
    const value = await super.get(key);
    if (!this.raced) {
      this.raced = true;
      this.putUnconditionally('unrelated-key', 'x');
    }
    return value;
  }
}

describe('LocalKeyValueStoreSwitch', () => {
  it('switches the flag on and off, writing only when the value changes', async () => {
    const local = new LocalKeyValueStoreSwitch();

    const on = await local.apply(actuator, 'active');
    const onAgain = await local.apply(actuator, 'active');
    const off = await local.apply(actuator, 'inactive');

    expect([on.changed, onAgain.changed, off.changed]).toEqual([true, false, true]);
    expect(local.keyValueStore.peek(actuator.key)).toBe('off');
    expect(local.keyValueStore.writes).toBe(2);
  });

  it('survives a concurrent writer bumping the store ETag', async () => {
    const store = new RacingStore({ [actuator.key]: 'off' });
    const local = new LocalKeyValueStoreSwitch(store);

    const outcome = await local.apply(actuator, 'active');

    expect(outcome.changed).toBe(true);
    expect(store.peek(actuator.key)).toBe('on');
    expect(store.peek('unrelated-key')).toBe('x');
  });

  it('drives the edge function: the stub appears when the actuator activates and goes when it restores', async () => {
    const local = new LocalKeyValueStoreSwitch(new InMemoryKeyValueStore({ [actuator.key]: 'off' }));
    const code = renderWidgetThrottleFunction({ stub: { email: 'help@example.com', faqUrl: '/faq' } });
    const edge = loadViewerRequestFunction(code, () => kvsHandleFrom((k) => local.keyValueStore.peek(k)));
    const request = () => edge(viewerRequestEvent(EDGE_DEFAULTS.messengerScriptPath));

    const before = await request();
    await local.apply(actuator, 'active');
    const during = await request();
    await local.apply(actuator, 'inactive');
    const after = await request();

    expect([before, during, after].map(isGeneratedResponse)).toEqual([false, true, false]);
  });
});
