// Tier 3 end to end on loopback: the controller's real cloudfront-kvs switch (SDK client, SigV4A, ETag)
// writes the flag through the KeyValueStore API stand-in, and the real CloudFront Function, reading the
// same store inside the distribution stand-in, starts and stops serving the capacity stub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeStandIn, REAL_BOOTSTRAP, startEdgeStandIn } from '../../../drill/edge/edge-stand-in';
import {
  createDrillKvsSwitch,
  type KvsDataPlaneStandIn,
  startKvsDataPlane,
} from '../../../drill/edge/kvs-data-plane';
import type { Actuator } from '../../../lambdas/core/config';
import type { SurgeSwitch } from '../../../lambdas/core/ports';
import { EDGE_DEFAULTS } from '../../../lambdas/edge/edge-config';

const WIDGET: Actuator = {
  id: 'widget-throttle',
  tier: 3,
  type: 'cloudfront-kvs',
  queues: ['*'],
  key: EDGE_DEFAULTS.flagKey,
  activeValue: 'on',
  inactiveValue: 'off',
};

let kvs: KvsDataPlaneStandIn;
let site: EdgeStandIn;
let kvsSwitch: SurgeSwitch;

beforeAll(async () => {
  kvs = await startKvsDataPlane({ initial: { [EDGE_DEFAULTS.flagKey]: 'off' } });
  site = await startEdgeStandIn({ readFlag: (key) => kvs.store.peek(key) });
  kvsSwitch = await createDrillKvsSwitch(kvs);
});
afterAll(async () => {
  await site.close();
  await kvs.close();
});

const bootstrap = async (cookie?: string) => {
  const res = await fetch(`${site.url}${EDGE_DEFAULTS.messengerScriptPath}`, {
    headers: cookie ? { cookie } : {},
  });
  return {
    stub: res.headers.get('x-cx-surge') === 'tier3-stub',
    body: await res.text(),
    xCache: res.headers.get('x-cache'),
  };
};

describe('tier 3 through the KeyValueStore API and the CloudFront Function', () => {
  it('serves the stub once the actuator switches the flag on, and the real script once it is off again', async () => {
    expect((await bootstrap()).body).toBe(REAL_BOOTSTRAP);

    const on = await kvsSwitch.apply(WIDGET, 'active');

    expect(on.changed).toBe(true);
    const stub = await bootstrap();
    expect(stub.stub).toBe(true);
    expect(stub.body).toContain(EDGE_DEFAULTS.message);
    expect(stub.xCache).toBe('FunctionGeneratedResponse from cloudfront');
    expect((await bootstrap(`${EDGE_DEFAULTS.sessionCookieName}=1`)).body).toBe(REAL_BOOTSTRAP);

    await kvsSwitch.apply(WIDGET, 'inactive');

    expect((await bootstrap()).body).toBe(REAL_BOOTSTRAP);
  });

  it('writes nothing when the flag already has the wanted value (read before write)', async () => {
    const before = kvs.calls.length;

    const outcome = await kvsSwitch.apply(WIDGET, 'inactive');

    expect(outcome.changed).toBe(false);
    expect(kvs.calls.slice(before)).toEqual([
      'DescribeKeyValueStore 200',
      `GetKey ${EDGE_DEFAULTS.flagKey} 200`,
    ]);
  });

  it('retries on a lost ETag race and ends with the wanted value, verified by read-back', async () => {
    const before = kvs.calls.length;
    // Another writer (ops' one-click toggle) bumps the store's ETag between our ETag read and our write, once.
    const get = kvs.store.get.bind(kvs.store);
    let raced = false;
    kvs.store.get = async (key) => {
      if (!raced) {
        raced = true;
        kvs.store.putUnconditionally('unrelated-key', 'x');
      }
      return get(key);
    };

    const outcome = await kvsSwitch.apply(WIDGET, 'active');

    kvs.store.get = get;
    expect(outcome.changed).toBe(true);
    expect(kvs.store.peek(EDGE_DEFAULTS.flagKey)).toBe('on');
    expect(kvs.calls.slice(before).filter((c) => c.startsWith('PutKey'))).toEqual([
      `PutKey ${EDGE_DEFAULTS.flagKey} 409`,
      `PutKey ${EDGE_DEFAULTS.flagKey} 200`,
    ]);
    expect((await bootstrap()).stub).toBe(true);
  });

  it('rejects requests that are not SigV4A-signed, as the real API does', async () => {
    const res = await fetch(
      `${kvs.endpoint.replace('kvs.drill.local', '127.0.0.1')}/key-value-stores/${encodeURIComponent(kvs.kvsArn)}`,
    );

    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
  });
});
