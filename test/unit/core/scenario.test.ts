import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isIsoUtcTimestamp,
  parseScenario,
  ScenarioError,
  type ScenarioLine,
  streamScenario,
} from '../../../drill/scenario';
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

  it('rejects a header-only file in one line naming the file', () => {
    expect(() => parseScenario(`# history\n${HEADER}\n\n`, 'f.csv')).toThrow(
      'f.csv:3: observations: none: the file has a header but no observation lines',
    );
  });

  it('ignores a UTF-8 byte-order mark before the header (spreadsheets write one)', () => {
    expect(parseScenario(`\uFEFF${HEADER}\n2026-11-27T09:00:00Z,sales,1,2\n`, 'x.csv')).toHaveLength(1);
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

const at = (observedAt: string, queueId: string, waiting: number, agentsAvailable: number | null) => ({
  observedAt,
  queueId,
  waiting,
  agentsAvailable,
});

describe('parseScenario: RFC 4180 quoting', () => {
  it('reads quoted fields as spreadsheets and Genesys exports write them', () => {
    const text = [
      '"observedAt","queueId","waiting","agentsAvailable"',
      '"2026-11-27T09:00:00Z","orders","12","8"',
      '2026-11-27T09:00:00Z,"east, 2",3,',
      '2026-11-27T09:01:00Z,"say ""hi""",4,""',
      '2026-11-27T09:01:00Z,  "padded" ,5, 6 ',
    ].join('\r\n');
    expect(parseScenario(text, 'x.csv').map((l) => [l.line, l.observation])).toEqual([
      [2, at('2026-11-27T09:00:00Z', 'orders', 12, 8)],
      [3, at('2026-11-27T09:00:00Z', 'east, 2', 3, null)],
      [4, at('2026-11-27T09:01:00Z', 'say "hi"', 4, null)],
      [5, at('2026-11-27T09:01:00Z', 'padded', 5, 6)],
    ]);
  });

  it('keeps a line break inside quotes and counts lines as the file does', () => {
    const text = `${HEADER}\n2026-11-27T09:00:00Z,"two\nlines",1,2\n2026-11-27T09:01:00Z,x,abc,2\n`;
    expect(parseScenario(text.split('\n').slice(0, 3).join('\n'), 'x.csv')[0]?.observation.queueId).toBe(
      'two\nlines',
    );
    expect(() => parseScenario(text, 'x.csv')).toThrow('x.csv:4: waiting: must be a non-negative integer');
  });

  it('treats a quoted comma as data, not as a field separator', () => {
    expect(() => parseScenario(`${HEADER}\n2026-11-27T09:00:00Z,"a,b",1,2,3\n`, 'x.csv')).toThrow(
      'x.csv:2: line: expected 4 fields (observedAt,queueId,waiting,agentsAvailable), got 5',
    );
  });

  it.each([
    {
      case: 'a quote never closed',
      row: '2026-11-27T09:00:00Z,"sales,1,2',
      message: 'f.csv:2: queueId: quoted field never closed',
    },
    {
      case: 'text after a closing quote',
      row: '2026-11-27T09:00:00Z,"sales"x,1,2',
      message: 'f.csv:2: queueId: text after the closing quote: "x,1,2"',
    },
    {
      case: 'a quote inside an unquoted field',
      row: '2026-11-27T09:00:00Z,sa"les,1,2',
      message: 'f.csv:2: queueId: a quote inside an unquoted field',
    },
    {
      case: 'an empty quoted queue id',
      row: '2026-11-27T09:00:00Z,"",1,2',
      message: 'f.csv:2: queueId: must not be empty',
    },
    {
      case: 'a quoted non-number',
      row: '2026-11-27T09:00:00Z,sales,"1.5",2',
      message: 'f.csv:2: waiting: must be a non-negative integer, got "1.5"',
    },
  ])('rejects $case in one line', ({ row, message }) => {
    expect(() => parseScenario(`${HEADER}\n${row}\n`, 'f.csv')).toThrow(message);
  });
});

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function streamed(text: string, size: number): Promise<ScenarioLine[]> {
  const out: ScenarioLine[] = [];
  await streamScenario(chunksOf(text, size), 's.csv', (line) => out.push(line));
  return out;
}

describe('streamScenario', () => {
  const tricky = [
    '\uFEFF# exported by a spreadsheet',
    HEADER,
    '2026-11-27T09:00:00Z,"east, 2",1,',
    '2026-11-27T09:00:00Z,"multi',
    'line ""id""",2,3',
    '',
    '   # indented comment',
    '2026-11-27T09:01:00Z,café ☕,4,5',
    '2026-11-27T09:01:00.500Z,east,6,7',
  ].join('\r\n');

  it.each([1, 2, 3, 7, 64, 1 << 20])(
    'gives exactly what parseScenario gives, whatever the chunk size (%i bytes)',
    async (size) => {
      expect(await streamed(tricky, size)).toEqual(parseScenario(tricky, 's.csv'));
    },
  );

  it.each(['flash-sale', 'outage', 'multi-queue'])(
    'streams the built-in %s scenario line for line',
    async (name) => {
      const text = readFileSync(join(SCENARIOS, `${name}.csv`), 'utf8');
      expect(await streamed(text, 4096)).toEqual(parseScenario(text, 's.csv'));
    },
  );

  it.each([
    [`${HEADER}\n2026-11-27T09:00:00Z,sales,1,2\n2026-11-27T09:01:00Z,sales,x,2\n`, 's.csv:3: waiting'],
    [`${HEADER}\n`, 's.csv:1: observations: none'],
    ['', 's.csv:1: header: missing'],
    [`${HEADER}\n2026-11-27T09:00:00Z,"open,1,2\n`, 's.csv:2: queueId: quoted field never closed'],
  ])('fails with the same one-line error as parseScenario (%#)', async (text, message) => {
    await expect(streamed(text, 5)).rejects.toThrow(message);
    expect(() => parseScenario(text, 's.csv')).toThrow(message);
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
