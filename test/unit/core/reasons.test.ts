import { describe, expect, it } from 'vitest';
import { ALL_REASONS, isReason, Reason } from '../../../lambdas/core/reasons';

describe('Reason catalogue', () => {
  it('has unique, kebab-case values (they are public strings in pages and --json)', () => {
    expect(new Set(ALL_REASONS).size).toBe(ALL_REASONS.length);
    for (const r of ALL_REASONS) expect(r).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it.each([
    'STALE_OBSERVATIONS',
    'SWITCH_FAILING',
    'BREAK_GLASS_USED',
    'CIRCUIT_OPEN',
    'FLAPPING',
    'EDGE_FALLBACK_ALARM',
    'EDGE_FALLBACK_OK',
    'LOCK_HELD',
    'ALREADY_APPLIED',
  ] as const)('names the app-layer condition %s', (name) => {
    expect(isReason(Reason[name])).toBe(true);
  });

  it('recognises only catalogue values', () => {
    expect(isReason('duplicate')).toBe(true);
    expect(isReason('Duplicate')).toBe(false);
    expect(isReason(undefined)).toBe(false);
  });
});
