// The distribution stand-in fails over exactly where a CloudFront origin group does (500/502/503/504, a
// refused connection, an origin that never answers) and passes everything else through, so the drill's
// `origin` faults mean what they would mean in front of a real origin.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EdgeStandIn, probeOriginHealth, startEdgeStandIn } from '../../../drill/edge/edge-stand-in';
import type { FaultKind } from '../../../drill/faults';

let site: EdgeStandIn;
beforeAll(async () => {
  site = await startEdgeStandIn({ readFlag: () => 'off', originTimeoutMs: 200 });
});
afterAll(() => site.close());
beforeEach(() => {
  site.origin.fault = undefined;
});

const visit = async (path: string) => {
  const res = await fetch(`${site.url}${path}`);
  const body = await res.text();
  return {
    status: res.status,
    xCache: res.headers.get('x-cache'),
    fallback: body.includes('Our website is having problems'),
  };
};

describe('origin faults through the distribution stand-in', () => {
  it('serves the site while the origin is healthy, and the health probe says so', async () => {
    expect(await visit('/')).toEqual({ status: 200, xCache: 'Miss from cloudfront', fallback: false });
    expect(await probeOriginHealth(site.origin)).toBe(true);
  });

  it.each(['5xx', 'timeout', 'down'] as const)(
    'fails over to the fallback page (503, at the failing URL) when the origin is %s',
    async (fault: FaultKind) => {
      site.origin.fault = fault;

      expect(await visit('/products/42')).toEqual({
        status: 503,
        xCache: 'Error from cloudfront',
        fallback: true,
      });
      expect(await probeOriginHealth(site.origin, 300)).toBe(false);
    },
  );

  it('passes a 429 through to the visitor: origin groups do not fail over on it, though the health check fails', async () => {
    site.origin.fault = '429';

    expect(await visit('/products/42')).toMatchObject({ status: 429, fallback: false });
    expect(await probeOriginHealth(site.origin)).toBe(false);
  });

  it('serves the fallback files from the bucket whatever the origin does', async () => {
    site.origin.fault = 'down';

    expect(await visit('/support-fallback.css')).toMatchObject({ status: 200 });
  });
});
