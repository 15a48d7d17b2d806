import { SurgeError } from '../lambdas/core/errors';
import type { QueueObservation } from '../lambdas/core/observation';

// Scenario CSV (DESIGN.md §5): a queue history, one observation per line, processed in file order.
//
//   # comment lines start with '#'; blank lines are skipped
//   observedAt,queueId,waiting,agentsAvailable
//   2026-11-27T09:00:00Z,sales,12,8
//   2026-11-27T09:01:00Z,sales,15,        ← empty agentsAvailable = unknown (null)
//
// Hand-written rather than zod-per-line: a replay of a year of minutely history is millions of lines,
// and the checks below are exactly those of QueueObservationSchema (so every line the parser accepts
// is also a valid QueueObservation event for the live pipeline).

export const SCENARIO_COLUMNS = ['observedAt', 'queueId', 'waiting', 'agentsAvailable'] as const;
type Column = (typeof SCENARIO_COLUMNS)[number];

export interface ScenarioLine {
  /** 1-based line number in the file (comments and blank lines count). */
  readonly line: number;
  readonly observation: QueueObservation;
}

/** A scenario file is malformed. The message is one line: `file:line: field: what is wrong`. */
export class ScenarioError extends SurgeError {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly field: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}:${line}: ${field}: ${detail}`, options);
  }
}

const MAX_SHOWN = 40;
const shown = (v: string): string => JSON.stringify(v.length > MAX_SHOWN ? `${v.slice(0, MAX_SHOWN)}…` : v);

// ISO-8601 UTC with seconds, optional fraction, literal Z: what z.iso.datetime({ offset: false }) accepts.
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True if `v` is an ISO-8601 UTC timestamp naming a real instant (no Feb 30, no 24:00). */
export function isIsoUtcTimestamp(v: string): boolean {
  const m = ISO_UTC.exec(v);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  return day <= maxDay && Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59;
}

/** Non-negative decimal integer (digits only, safe-integer sized), or -1. */
function parseCount(v: string): number {
  const n = v.length;
  if (n === 0 || n > 15) return -1;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    out = out * 10 + c;
  }
  return out;
}

function parseHeader(text: string, source: string, line: number): number[] {
  const names = text.split(',').map((s) => s.trim());
  const index: number[] = [];
  names.forEach((name, i) => {
    if (!(SCENARIO_COLUMNS as readonly string[]).includes(name)) {
      throw new ScenarioError(
        source,
        line,
        'header',
        `unknown column ${shown(name)} (expected ${SCENARIO_COLUMNS.join(',')})`,
      );
    }
    const col = SCENARIO_COLUMNS.indexOf(name as Column);
    if (index[col] !== undefined)
      throw new ScenarioError(source, line, 'header', `column ${shown(name)} appears twice`);
    index[col] = i;
  });
  for (const [col, name] of SCENARIO_COLUMNS.entries()) {
    if (index[col] === undefined) {
      throw new ScenarioError(
        source,
        line,
        'header',
        `missing column "${name}" (expected ${SCENARIO_COLUMNS.join(',')})`,
      );
    }
  }
  return index;
}

/**
 * Parses a scenario CSV. `source` names the file in error messages. Throws ScenarioError on the first
 * bad line (nothing is returned for a partly valid file: a replay of half a history would mislead).
 */
export function parseScenario(text: string, source: string): ScenarioLine[] {
  const rows = text.split('\n');
  const out: ScenarioLine[] = [];
  let columns: number[] | undefined;
  let canonical = false;

  for (let i = 0; i < rows.length; i++) {
    let raw = rows[i] as string;
    if (raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1); // CRLF files
    const lineNo = i + 1;
    const first = raw.charCodeAt(0);
    // Fast skip of the common cases; fall back to trimming for indented comments or whitespace-only lines.
    if (raw.length === 0 || first === 35 /* # */) continue;
    if (first === 32 || first === 9) {
      const trimmed = raw.trim();
      if (trimmed.length === 0 || trimmed.charCodeAt(0) === 35) continue;
    }

    if (!columns) {
      columns = parseHeader(raw, source, lineNo);
      canonical = columns.every((c, k) => c === k);
      continue;
    }

    const fields = raw.split(',');
    if (fields.length !== SCENARIO_COLUMNS.length) {
      throw new ScenarioError(
        source,
        lineNo,
        'line',
        `expected ${SCENARIO_COLUMNS.length} fields (${SCENARIO_COLUMNS.join(',')}), got ${fields.length}`,
      );
    }
    const field = (col: number): string => {
      const v = fields[canonical ? col : ((columns as number[])[col] as number)] as string;
      const c0 = v.charCodeAt(0);
      const cN = v.charCodeAt(v.length - 1);
      return c0 === 32 || c0 === 9 || cN === 32 || cN === 9 ? v.trim() : v;
    };

    const observedAt = field(0);
    if (!isIsoUtcTimestamp(observedAt)) {
      throw new ScenarioError(
        source,
        lineNo,
        'observedAt',
        `must be an ISO-8601 UTC timestamp like 2026-11-27T09:00:00Z, got ${shown(observedAt)}`,
      );
    }
    const queueId = field(1);
    if (queueId.length === 0) throw new ScenarioError(source, lineNo, 'queueId', 'must not be empty');
    const waitingText = field(2);
    const waiting = parseCount(waitingText);
    if (waiting < 0) {
      throw new ScenarioError(
        source,
        lineNo,
        'waiting',
        `must be a non-negative integer, got ${shown(waitingText)}`,
      );
    }
    const agentsText = field(3);
    let agentsAvailable: number | null = null;
    if (agentsText.length > 0) {
      agentsAvailable = parseCount(agentsText);
      if (agentsAvailable < 0) {
        throw new ScenarioError(
          source,
          lineNo,
          'agentsAvailable',
          `must be a non-negative integer or empty (unknown), got ${shown(agentsText)}`,
        );
      }
    }
    out.push({ line: lineNo, observation: { queueId, observedAt, waiting, agentsAvailable } });
  }

  if (!columns) {
    throw new ScenarioError(
      source,
      rows.length,
      'header',
      `missing (expected ${SCENARIO_COLUMNS.join(',')})`,
    );
  }
  return out;
}

/** Renders observations as scenario CSV (the inverse of parseScenario, for generated traces and exports). */
export function formatScenario(observations: Iterable<QueueObservation>, comment?: string): string {
  const parts: string[] = [];
  if (comment) for (const c of comment.split('\n')) parts.push(`# ${c}`.trimEnd());
  parts.push(SCENARIO_COLUMNS.join(','));
  for (const o of observations) {
    parts.push(`${o.observedAt},${o.queueId},${o.waiting},${o.agentsAvailable ?? ''}`);
  }
  return `${parts.join('\n')}\n`;
}
