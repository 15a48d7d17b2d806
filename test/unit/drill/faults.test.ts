import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUILT_IN_SCENARIOS_DIR,
  type DrillFault,
  FAULT_TARGETS,
  FaultInjector,
  FaultsFileError,
  faultsFileFor,
  loadFaultsFile,
  parseFaults,
} from '../../../drill/faults';

const entry = (over: Record<string, unknown> = {}) => ({
  target: 'origin',
  from: '2026-11-27T10:05:00Z',
  until: '2026-11-27T10:20:00Z',
  fault: '5xx',
  ...over,
});
const parse = (value: unknown) => parseFaults(JSON.stringify(value), 'f.json');
const errorOf = (text: string): string => {
  try {
    parseFaults(text, 'f.json');
  } catch (e) {
    expect(e).toBeInstanceOf(FaultsFileError);
    return (e as Error).message;
  }
  throw new Error('expected a FaultsFileError');
};
const at = (iso: string) => Date.parse(iso);

describe('parseFaults', () => {
  it('accepts every target and fault of the format', () => {
    const faults = FAULT_TARGETS.flatMap((target, i) =>
      (['5xx', '429', 'timeout', 'down'] as const).map((fault, j) =>
        entry({
          target,
          fault,
          from: `2026-11-27T1${i}:${j}0:00Z`,
          until: `2026-11-27T1${i}:${j}5:00Z`,
        }),
      ),
    );

    const schedule = parse(faults);

    expect(schedule.faults).toHaveLength(24);
    expect(schedule.targets).toEqual([...FAULT_TARGETS]);
  });

  it('accepts an empty array (no faults)', () => {
    expect(parse([]).empty).toBe(true);
  });

  it.each([
    ['{', /^f\.json: not valid JSON \(/],
    [
      '{"target":"origin"}',
      /^f\.json: must be a JSON array of \{ target, from, until, fault \}, got object$/,
    ],
    ['[1]', /^f\.json: entry 0: must be an object \{ target, from, until, fault \}, got 1$/],
    [
      JSON.stringify([entry(), entry({ target: 'cdn', from: '2026-11-27T11:00:00Z' })]),
      /^f\.json: entry 1: target: must be one of genesys, genesys-backup, pager, crm-primary, crm-secondary, origin, got "cdn"$/,
    ],
    [
      JSON.stringify([entry({ fault: '503' })]),
      /^f\.json: entry 0: fault: must be one of 5xx, 429, timeout, down, got "503"$/,
    ],
    [JSON.stringify([entry({ fault: undefined })]), /^f\.json: entry 0: fault: is required/],
    [
      JSON.stringify([entry({ from: '2026-11-27 10:05' })]),
      /^f\.json: entry 0: from: must be an ISO-8601 UTC timestamp \(…Z\), got "2026-11-27 10:05"$/,
    ],
    [JSON.stringify([entry({ until: 1764237900000 })]), /^f\.json: entry 0: until: must be an ISO-8601 UTC/],
    [
      JSON.stringify([entry({ until: '2026-11-27T10:05:00Z' })]),
      /^f\.json: entry 0: until: 2026-11-27T10:05:00Z must be after from \(2026-11-27T10:05:00Z\)$/,
    ],
    [JSON.stringify([entry({ delay: 3 })]), /^f\.json: entry 0: delay: unknown field/],
    [
      JSON.stringify([entry(), entry({ from: '2026-11-27T10:19:00Z', until: '2026-11-27T10:30:00Z' })]),
      /^f\.json: entry 1: from: 2026-11-27T10:19:00Z overlaps entry 0 \(origin 2026-11-27T10:05:00Z – 2026-11-27T10:20:00Z\)/,
    ],
  ])('rejects %s with one line naming the file, the entry and the field', (text, message) => {
    const error = errorOf(text);

    expect(error).toMatch(message);
    expect(error).not.toContain('\n');
  });

  it('allows back-to-back windows on one target and overlapping windows on different targets', () => {
    const schedule = parse([
      entry(),
      entry({ from: '2026-11-27T10:20:00Z', until: '2026-11-27T10:30:00Z', fault: 'down' }),
      entry({ target: 'genesys', fault: '429' }),
    ]);

    expect(schedule.faults).toHaveLength(3);
  });
});

describe('FaultSchedule.faultAt', () => {
  const schedule = parse([
    entry(),
    entry({ target: 'pager', from: '2026-11-27T10:00:00Z', until: '2026-11-27T10:01:00Z', fault: 'timeout' }),
  ]);

  it.each([
    ['2026-11-27T10:04:59.999Z', undefined],
    ['2026-11-27T10:05:00Z', '5xx'],
    ['2026-11-27T10:19:59.999Z', '5xx'],
    ['2026-11-27T10:20:00Z', undefined],
  ])('origin at %s → %s (from inclusive, until exclusive)', (iso, fault) => {
    expect(schedule.faultAt('origin', at(iso))?.fault).toBe(fault);
  });

  it('answers per target', () => {
    expect(schedule.faultAt('pager', at('2026-11-27T10:00:30Z'))?.fault).toBe('timeout');
    expect(schedule.faultAt('genesys', at('2026-11-27T10:10:00Z'))).toBeUndefined();
  });
});

describe('FaultInjector', () => {
  it('calls a target’s applier only when its fault starts or ends, and logs both', async () => {
    const schedule = parse([
      entry({ from: '2026-11-27T10:02:00Z', until: '2026-11-27T10:04:00Z' }),
      entry({ from: '2026-11-27T10:04:00Z', until: '2026-11-27T10:05:00Z', fault: 'down' }),
    ]);
    const injector = new FaultInjector(schedule);
    const calls: string[] = [];
    injector.on(
      'origin',
      (f: DrillFault | undefined, ms) =>
        void calls.push(`${new Date(ms).toISOString().slice(11, 16)} ${f?.fault ?? 'healthy'}`),
    );

    for (let m = 0; m <= 6; m++) await injector.tick(at(`2026-11-27T10:0${m}:00Z`));

    expect(calls).toEqual(['10:02 5xx', '10:04 down', '10:05 healthy']);
    expect(injector.log.map((c) => `${c.at} ${c.fault} ${c.entry}`)).toEqual([
      '2026-11-27T10:02:00Z 5xx 0',
      '2026-11-27T10:04:00Z null 0',
      '2026-11-27T10:04:00Z down 1',
      '2026-11-27T10:05:00Z null 1',
    ]);
  });

  it('names the targets no stand-in applies', () => {
    const injector = new FaultInjector(parse([entry(), entry({ target: 'crm-primary' })]));
    injector.on('origin', () => {});

    expect(injector.unapplied()).toEqual(['crm-primary']);
    expect(() => injector.on('origin', () => {})).toThrow(/already registered/);
  });
});

describe('faults file discovery and loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'surge-faults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the named file first, and never discovers one beside a user scenario', () => {
    writeFileSync(join(dir, 'mine.faults.json'), '[]');

    expect(faultsFileFor(join(dir, 'mine.csv'), 'other.json')).toBe('other.json');
    expect(faultsFileFor(join(dir, 'mine.csv'))).toBeUndefined();
  });

  it('finds <scenario>.faults.json beside a built-in scenario, and nothing when there is none', () => {
    expect(faultsFileFor(join(BUILT_IN_SCENARIOS_DIR, 'four-tiers.csv'))).toBe(
      join(BUILT_IN_SCENARIOS_DIR, 'four-tiers.faults.json'),
    );
    expect(faultsFileFor(join(BUILT_IN_SCENARIOS_DIR, 'flash-sale.csv'))).toBeUndefined();
  });

  it('reports a missing file as a FaultsFileError (exit 2 through the CLI)', async () => {
    await expect(loadFaultsFile(join(dir, 'nope.json'))).rejects.toThrow(
      new FaultsFileError(join(dir, 'nope.json'), undefined, '', 'no such file'),
    );
  });
});
