import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isIsoUtcTimestamp, parseScenario, ScenarioError } from '../../../drill/scenario';
import { parseObservation } from '../../../lambdas/core/observation';

const HEADER = 'observedAt,queueId,waiting,agentsAvailable';
const SCENARIOS = join(import.meta.dirname, '../../../drill/scenarios');

describe('parseScenario', () => {
  it('reads observations in file order, skipping comments and blank lines, with 1-based line numbers', () => {
    const text = [
      '# a comment',
      HEADER,
      '',
      '2026-11-27T09:00:00Z,sales,12,8',
      '  # indented comment',
      '2026-11-27T09:01:00Z,sales,15,',
    ].join('\n');
    expect(parseScenario(text, 'x.csv')).toEqual([
      {
        line: 4,
        observation: {
          observedAt: '2026-11-27T09:00:00Z',
          queueId: 'sales',
          waiting: 12,
          agentsAvailable: 8,
        },
      },
      {
        line: 6,
        observation: {
          observedAt: '2026-11-27T09:01:00Z',
          queueId: 'sales',
          waiting: 15,
          agentsAvailable: null,
        },
      },
    ]);
  });

  it('accepts CRLF files, spaces around fields and columns in any order', () => {
    const text = 'queueId, waiting ,agentsAvailable,observedAt\r\nsales, 7 ,,2026-11-27T09:00:00.250Z\r\n';
    expect(parseScenario(text, 'x.csv')).toEqual([
      {
        line: 2,
        observation: {
          observedAt: '2026-11-27T09:00:00.250Z',
          queueId: 'sales',
          waiting: 7,
          agentsAvailable: null,
        },
      },
    ]);
  });

  it.each([
    {
      case: 'non-numeric waiting',
      row: '2026-11-27T09:00:00Z,sales,abc,3',
      message: 'f.csv:3: waiting: must be a non-negative integer, got "abc"',
    },
    {
      case: 'negative waiting',
      row: '2026-11-27T09:00:00Z,sales,-1,3',
      message: 'f.csv:3: waiting: must be a non-negative integer, got "-1"',
    },
    {
      case: 'fractional waiting',
      row: '2026-11-27T09:00:00Z,sales,1.5,3',
      message: 'f.csv:3: waiting: must be a non-negative integer, got "1.5"',
    },
    {
      case: 'empty waiting',
      row: '2026-11-27T09:00:00Z,sales,,3',
      message: 'f.csv:3: waiting: must be a non-negative integer, got ""',
    },
    {
      case: 'non-numeric agentsAvailable',
      row: '2026-11-27T09:00:00Z,sales,1,many',
      message: 'f.csv:3: agentsAvailable: must be a non-negative integer or empty (unknown), got "many"',
    },
    {
      case: 'empty queueId',
      row: '2026-11-27T09:00:00Z,,1,3',
      message: 'f.csv:3: queueId: must not be empty',
    },
    {
      case: 'too few fields',
      row: '2026-11-27T09:00:00Z,sales,1',
      message: 'f.csv:3: line: expected 4 fields (observedAt,queueId,waiting,agentsAvailable), got 3',
    },
    ...[
      '2026-11-27 09:00:00Z',
      '2026-11-27T09:00:00',
      '2026-11-27T09:00:00+01:00',
      '2026-02-30T09:00:00Z',
      '2026-11-27T24:00:00Z',
      '2026-11-27T09:00Z',
      'yesterday',
    ].map((ts) => ({
      case: `bad timestamp ${ts}`,
      row: `${ts},sales,1,3`,
      message: `f.csv:3: observedAt: must be an ISO-8601 UTC timestamp like 2026-11-27T09:00:00Z, got "${ts}"`,
    })),
  ])('rejects $case with a one-line message naming file, line and field', ({ row, message }) => {
    const text = `# header comment\n${HEADER}\n${row}\n2026-11-27T09:01:00Z,sales,1,3\n`;
    expect(() => parseScenario(text, 'f.csv')).toThrow(ScenarioError);
    expect(() => parseScenario(text, 'f.csv')).toThrow(message);
  });

  it.each([
    {
      case: 'an unknown column',
      header: 'observedAt,queueId,waiting,agents',
      message: 'f.csv:1: header: unknown column "agents"',
    },
    {
      case: 'a missing column',
      header: 'observedAt,queueId,waiting',
      message: 'f.csv:1: header: missing column "agentsAvailable"',
    },
    {
      case: 'a repeated column',
      header: 'observedAt,queueId,waiting,waiting',
      message: 'f.csv:1: header: column "waiting" appears twice',
    },
  ])('rejects a header with $case', ({ header, message }) => {
    expect(() => parseScenario(`${header}\n`, 'f.csv')).toThrow(message);
  });

  it('rejects a file without a header', () => {
    expect(() => parseScenario('# only comments\n\n', 'f.csv')).toThrow(/^f\.csv:\d+: header: missing/);
  });

  it('accepts a header-only file as an empty history', () => {
    expect(parseScenario(`${HEADER}\n`, 'f.csv')).toEqual([]);
  });

  it.each([
    ['2024-02-29T00:00:00Z', true],
    ['2023-02-29T00:00:00Z', false],
    ['1900-02-29T00:00:00Z', false],
    ['2000-02-29T00:00:00Z', true],
    ['2026-04-31T00:00:00Z', false],
    ['2026-12-31T23:59:59.999Z', true],
    ['2026-13-01T00:00:00Z', false],
    ['2026-11-27T09:60:00Z', false],
  ])('judges %s a real UTC instant: %s', (ts, ok) => {
    expect(isIsoUtcTimestamp(ts)).toBe(ok);
  });
});

describe('built-in scenarios', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.csv'));

  it('includes the four documented scenarios', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining(['flash-sale.csv', 'multi-queue.csv', 'outage.csv', 'plateau.csv']),
    );
  });

  it.each(files)(
    '%s starts with a comment header, stays modest and holds only valid observation events',
    (file) => {
      const text = readFileSync(join(SCENARIOS, file), 'utf8');
      expect(text.startsWith('# ')).toBe(true);
      const lines = parseScenario(text, file);
      expect(lines.length).toBeGreaterThan(0);
      expect(text.split('\n').length).toBeLessThanOrEqual(300);
      // Every line the parser accepts must pass the live pipeline's own validation too.
      for (const { observation } of lines) expect(parseObservation(observation)).toEqual(observation);
    },
  );
});
