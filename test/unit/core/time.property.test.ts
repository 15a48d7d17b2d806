import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isoToMs, parseIsoUtc } from '../../../lambdas/core/time';

const zodIso = z.iso.datetime({ offset: false });

describe('parseIsoUtc', () => {
  it('agrees with Date.parse on every real instant, with 0–6 fraction digits', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('2200-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 6 }),
        (date, digits) => {
          const iso = date.toISOString(); // …SS.mmmZ
          const text =
            digits === 0
              ? `${iso.slice(0, 19)}Z`
              : `${iso.slice(0, 19)}.${`${iso.slice(20, 23)}000`.slice(0, digits)}Z`;
          expect(parseIsoUtc(text)).toBe(Date.parse(text));
          expect(isoToMs(text)).toBe(Date.parse(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts exactly what the pipeline schema accepts (z.iso.datetime without offsets)', () => {
    const near = fc
      .tuple(
        fc.integer({ min: 1990, max: 2100 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.constantFrom('Z', '.5Z', '.123Z', '', '+00:00', '.Z', 'z'),
      )
      .map(([y, mo, d, h, mi, s, tail]) => {
        const p = (n: number) => String(n).padStart(2, '0');
        return `${y}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}${tail}`;
      });
    fc.assert(
      fc.property(near, (text) => {
        expect(!Number.isNaN(parseIsoUtc(text))).toBe(zodIso.safeParse(text).success);
      }),
      { numRuns: 1000 },
    );
  });

  it.each(['', '2026-11-27', '2026-11-27T09:00:00', '2026-11-27T09:00:00.Z', 'x026-11-27T09:00:00Z'])(
    'returns NaN for %j',
    (text) => {
      expect(parseIsoUtc(text)).toBeNaN();
    },
  );
});
