import { describe, expect, it } from 'vitest';
import { settleBounded } from '../../../lambdas/core/bounded';

describe('settleBounded', () => {
  it('never has more than the limit in flight and settles every item in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await settleBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      await Promise.resolve();
      inFlight--;
      if (n === 4) throw new Error('four');
      return n * 10;
    });

    expect(most).toBe(3);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      10,
      20,
      30,
      'four',
      50,
      60,
      70,
    ]);
  });

  it('returns nothing for no items', async () => {
    expect(await settleBounded([], 4, async () => 1)).toEqual([]);
  });
});
