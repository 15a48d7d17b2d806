import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../lambdas/core/errors';
import { isoInstant, parseIsoUtc } from '../lambdas/core/time';

// Drill faults (README "Drill faults"): which stand-in fails, how, and when on the drill's simulated clock.
//
//   [{ "target": "origin", "from": "2026-11-27T10:05:00Z", "until": "2026-11-27T10:20:00Z", "fault": "5xx" }]
//
// A fault is in force for from ≤ t < until. Windows of one target never overlap (rejected: which one
// would apply is a guess). Every target of the format is validated here, whoever applies it: the drill
// stand-in for a target asks `faultAt(target, t)` on each tick and behaves accordingly.

/** The stand-ins a fault can hit. */
export const FAULT_TARGETS = [
  'genesys',
  'genesys-backup',
  'pager',
  'crm-primary',
  'crm-secondary',
  'origin',
] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

/** How it fails: answers 5xx, answers 429 (with Retry-After), never answers, refuses connections. */
export const FAULT_KINDS = ['5xx', '429', 'timeout', 'down'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface DrillFault {
  /** 0-based position in the file, for messages and reports. */
  readonly index: number;
  readonly target: FaultTarget;
  readonly fault: FaultKind;
  /** As written (ISO-8601 UTC). */
  readonly from: string;
  readonly until: string;
  readonly fromMs: number;
  readonly untilMs: number;
}

const FIELDS = ['target', 'from', 'until', 'fault'] as const;

/** A faults file is malformed. One line: `file: entry N: field: what is wrong`. Exit 2 through the CLI. */
export class FaultsFileError extends ConfigError {
  constructor(
    readonly source: string,
    readonly index: number | undefined,
    field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(field, detail, options);
    this.message = `${source}: ${index === undefined ? '' : `entry ${index}: `}${this.message}`;
  }
}

const shown = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
};

/** Parses and validates a faults file's text. Throws FaultsFileError naming the entry and field. */
export function parseFaults(text: string, source: string): FaultSchedule {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FaultsFileError(source, undefined, '', `not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (!Array.isArray(raw)) {
    throw new FaultsFileError(
      source,
      undefined,
      '',
      `must be a JSON array of { target, from, until, fault }, got ${raw === null ? 'null' : typeof raw}`,
    );
  }
  const faults = raw.map((entry, index) => parseEntry(entry, index, source));
  for (const target of FAULT_TARGETS) {
    const mine = faults.filter((f) => f.target === target).sort((a, b) => a.fromMs - b.fromMs);
    for (let i = 1; i < mine.length; i++) {
      const before = mine[i - 1] as DrillFault;
      const f = mine[i] as DrillFault;
      if (f.fromMs < before.untilMs) {
        throw new FaultsFileError(
          source,
          f.index,
          'from',
          `${f.from} overlaps entry ${before.index} (${target} ${before.from} – ${before.until}); one fault per target at a time`,
        );
      }
    }
  }
  return new FaultSchedule(faults);
}

function parseEntry(entry: unknown, index: number, source: string): DrillFault {
  const fail = (field: string, detail: string): never => {
    throw new FaultsFileError(source, index, field, detail);
  };
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return fail('', `must be an object { target, from, until, fault }, got ${shown(entry)}`);
  }
  const e = entry as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!(FIELDS as readonly string[]).includes(key))
      fail(key, `unknown field (expected ${FIELDS.join(', ')})`);
  }
  const oneOf = <T extends string>(field: string, allowed: readonly T[]): T => {
    const v = e[field];
    if (v === undefined) return fail(field, `is required (one of ${allowed.join(', ')})`);
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      return fail(field, `must be one of ${allowed.join(', ')}, got ${shown(v)}`);
    }
    return v as T;
  };
  const instant = (field: 'from' | 'until'): [string, number] => {
    const v = e[field];
    if (v === undefined) return fail(field, 'is required (ISO-8601 UTC, e.g. 2026-11-27T10:05:00Z)');
    const ms = typeof v === 'string' ? parseIsoUtc(v) : Number.NaN;
    if (Number.isNaN(ms)) return fail(field, `must be an ISO-8601 UTC timestamp (…Z), got ${shown(v)}`);
    return [v as string, ms];
  };
  const target = oneOf('target', FAULT_TARGETS);
  const [from, fromMs] = instant('from');
  const [until, untilMs] = instant('until');
  const fault = oneOf('fault', FAULT_KINDS);
  if (untilMs <= fromMs) fail('until', `${until} must be after from (${from})`);
  return { index, target, fault, from, until, fromMs, untilMs };
}

/** The faults of one drill, asked on simulated time. Immutable. */
export class FaultSchedule {
  readonly faults: readonly DrillFault[];
  constructor(faults: readonly DrillFault[] = []) {
    this.faults = [...faults].sort((a, b) => a.fromMs - b.fromMs || a.index - b.index);
  }

  /** No faults at all (the drill then runs exactly as without a file). */
  get empty(): boolean {
    return this.faults.length === 0;
  }

  /** The fault in force on `target` at `atMs` (from ≤ t < until), or undefined when it is healthy. */
  faultAt(target: FaultTarget, atMs: number): DrillFault | undefined {
    return this.faults.find((f) => f.target === target && f.fromMs <= atMs && atMs < f.untilMs);
  }

  /** Every fault on `target`, by start time. */
  forTarget(target: FaultTarget): DrillFault[] {
    return this.faults.filter((f) => f.target === target);
  }

  /** The targets the file names. */
  get targets(): FaultTarget[] {
    return FAULT_TARGETS.filter((t) => this.faults.some((f) => f.target === t));
  }
}

/** Reads and parses a faults file; an unreadable file is a FaultsFileError too (exit 2). */
export async function loadFaultsFile(path: string): Promise<FaultSchedule> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FaultsFileError(
      path,
      undefined,
      '',
      code === 'ENOENT' ? 'no such file' : (e as Error).message,
      {
        cause: e,
      },
    );
  }
  return parseFaults(text, path);
}

/** Where the built-in scenarios live. */
export const BUILT_IN_SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

/** `x.csv` → `x.faults.json` beside it. */
export const faultsFileBeside = (scenarioPath: string): string =>
  join(dirname(scenarioPath), `${basename(scenarioPath).replace(/\.csv$/i, '')}.faults.json`);

/** `x.<kind>.json` beside a built-in scenario `x.csv`, when there is one. */
export function builtInBeside(scenarioPath: string, kind: 'faults' | 'config'): string | undefined {
  if (resolve(dirname(scenarioPath)) !== resolve(BUILT_IN_SCENARIOS_DIR)) return undefined;
  const beside = join(dirname(scenarioPath), `${basename(scenarioPath).replace(/\.csv$/i, '')}.${kind}.json`);
  return existsSync(beside) ? beside : undefined;
}

/**
 * The faults file a drill uses: the one named with `--faults`, else `<scenario>.faults.json` beside a
 * built-in scenario (drill/scenarios) when there is one; a user's own scenario gets faults only when named.
 */
export function faultsFileFor(scenarioPath: string, named?: string): string | undefined {
  return named ?? builtInBeside(scenarioPath, 'faults');
}

/** A fault starting (`fault` set) or ending (`fault` null) on a target, at a drill tick. */
export interface FaultChange {
  /** Simulated instant of the tick that applied it (ISO-8601 UTC). */
  readonly at: string;
  readonly target: FaultTarget;
  readonly fault: FaultKind | null;
  /** The entry that started or ended. */
  readonly entry: number;
}

/** Makes one stand-in behave as `fault` says (undefined: healthy again). Called only on a change. */
export type FaultApplier = (fault: DrillFault | undefined, atMs: number) => void | Promise<void>;

/**
 * Applies a schedule on the drill's ticks: each stand-in registers an applier for its target, and every
 * tick calls the appliers whose fault changed since the previous tick. Stand-ins that need finer
 * timing (a fault starting between retries) can ask `schedule.faultAt` on every request instead.
 */
export class FaultInjector {
  private readonly appliers = new Map<FaultTarget, FaultApplier>();
  private readonly current = new Map<FaultTarget, DrillFault | undefined>();
  /** Every start and end applied, in order. */
  readonly log: FaultChange[] = [];

  constructor(readonly schedule: FaultSchedule = new FaultSchedule()) {}

  /** Registers the stand-in for `target` (one per target). */
  on(target: FaultTarget, applier: FaultApplier): void {
    if (this.appliers.has(target)) throw new Error(`a fault applier for '${target}' is already registered`);
    this.appliers.set(target, applier);
  }

  /** Targets the schedule names that no stand-in of this drill applies. */
  unapplied(): FaultTarget[] {
    return this.schedule.targets.filter((t) => !this.appliers.has(t));
  }

  /** Brings every registered stand-in to the faults in force at `atMs`. */
  async tick(atMs: number): Promise<FaultChange[]> {
    const changes: FaultChange[] = [];
    for (const [target, apply] of this.appliers) {
      const now = this.schedule.faultAt(target, atMs);
      const before = this.current.get(target);
      if (now === before) continue;
      this.current.set(target, now);
      await apply(now, atMs);
      const at = isoInstant(atMs);
      if (before) changes.push({ at, target, fault: null, entry: before.index });
      if (now) changes.push({ at, target, fault: now.fault, entry: now.index });
    }
    this.log.push(...changes);
    return changes;
  }
}
