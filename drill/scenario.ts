import { SurgeError } from '../lambdas/core/errors';
import type { QueueObservation } from '../lambdas/core/observation';
import { parseIsoUtc } from '../lambdas/core/time';

// Scenario CSV (docs/semantics.md, file formats): a queue history, one observation per line, processed in file order.
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

/** True if `v` is an ISO-8601 UTC timestamp naming a real instant (no Feb 30, no 24:00, no offsets). */
export const isIsoUtcTimestamp = (v: string): boolean => !Number.isNaN(parseIsoUtc(v));

const isBlank = (c: number): boolean => c === 32 || c === 9;

/**
 * The non-negative decimal integer in text[start, end) (blanks around it allowed): its value, -1 if the
 * cell is empty, -2 if it is anything else. Reads characters in place: no substring per cell.
 */
function countIn(text: string, start: number, end: number): number {
  let from = start;
  let to = end;
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  if (from === to) return -1;
  if (to - from > 15) return -2; // beyond any queue depth, and beyond exact integers
  let out = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -2;
    out = out * 10 + c;
  }
  return out;
}

/** text[start, end) without surrounding blanks. */
function cellIn(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

function parseHeader(text: string, source: string, line: number): [number, number, number, number] {
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
  return index as [number, number, number, number];
}

/**
 * Parses a scenario CSV. `source` names the file in error messages. Throws ScenarioError on the first
 * bad line (nothing is returned for a partly valid file: a replay of half a history would mislead).
 */
export function parseScenario(text: string, source: string): ScenarioLine[] {
  const out: ScenarioLine[] = [];
  let columns: [number, number, number, number] | undefined;
  // Equal strings are shared: one queue id object per queue, and consecutive lines with the same
  // timestamp (many queues observed in one tick) reuse it, which also skips re-validating it.
  const queueIds = new Map<string, string>();
  let previousAt = '';
  let lineNo = 0;

  for (let start = 0; start < text.length; start = lineEnd(text, start) + 1) {
    lineNo++;
    let end = lineEnd(text, start);
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF files
    const first = text.charCodeAt(start);
    // Fast skip of the common cases; fall back to trimming for indented comments or whitespace-only lines.
    if (end === start || first === 35 /* # */) continue;
    if (isBlank(first)) {
      const trimmed = text.slice(start, end).trim();
      if (trimmed.length === 0 || trimmed.charCodeAt(0) === 35) continue;
    }

    if (!columns) {
      columns = parseHeader(text.slice(start, end), source, lineNo);
      continue;
    }

    // Field boundaries by hand (no split, no closures): this loop runs millions of times.
    const c1 = commaIn(text, start, end);
    const c2 = c1 < 0 ? -1 : commaIn(text, c1 + 1, end);
    const c3 = c2 < 0 ? -1 : commaIn(text, c2 + 1, end);
    if (c3 < 0 || commaIn(text, c3 + 1, end) >= 0) {
      const got = text.slice(start, end).split(',').length;
      throw new ScenarioError(
        source,
        lineNo,
        'line',
        `expected ${SCENARIO_COLUMNS.length} fields (${SCENARIO_COLUMNS.join(',')}), got ${got}`,
      );
    }
    // Column k of SCENARIO_COLUMNS sits in field columns[k] of the file.
    const [atField, queueField, waitingField, agentsField] = columns;
    const bounds: FieldBounds = { start, c1, c2, c3, end };

    let observedAt = cellIn(text, fieldStart(bounds, atField), fieldEnd(bounds, atField));
    if (observedAt === previousAt) observedAt = previousAt;
    else if (Number.isNaN(parseIsoUtc(observedAt))) {
      throw new ScenarioError(
        source,
        lineNo,
        'observedAt',
        `must be an ISO-8601 UTC timestamp like 2026-11-27T09:00:00Z, got ${shown(observedAt)}`,
      );
    } else previousAt = observedAt;

    const queueText = cellIn(text, fieldStart(bounds, queueField), fieldEnd(bounds, queueField));
    if (queueText.length === 0) throw new ScenarioError(source, lineNo, 'queueId', 'must not be empty');
    let queueId = queueIds.get(queueText);
    if (queueId === undefined) {
      queueId = queueText;
      queueIds.set(queueId, queueId);
    }

    const waiting = countIn(text, fieldStart(bounds, waitingField), fieldEnd(bounds, waitingField));
    if (waiting < 0) {
      const got = cellIn(text, fieldStart(bounds, waitingField), fieldEnd(bounds, waitingField));
      throw new ScenarioError(source, lineNo, 'waiting', `must be a non-negative integer, got ${shown(got)}`);
    }
    const agents = countIn(text, fieldStart(bounds, agentsField), fieldEnd(bounds, agentsField));
    if (agents === -2) {
      const got = cellIn(text, fieldStart(bounds, agentsField), fieldEnd(bounds, agentsField));
      throw new ScenarioError(
        source,
        lineNo,
        'agentsAvailable',
        `must be a non-negative integer or empty (unknown), got ${shown(got)}`,
      );
    }
    out.push({
      line: lineNo,
      observation: { queueId, observedAt, waiting, agentsAvailable: agents === -1 ? null : agents },
    });
  }

  if (!columns) {
    throw new ScenarioError(
      source,
      Math.max(lineNo, 1),
      'header',
      `missing (expected ${SCENARIO_COLUMNS.join(',')})`,
    );
  }
  return out;
}

/** Field f of a line spans [fieldStart(b, f), fieldEnd(b, f)). */
interface FieldBounds {
  readonly start: number;
  readonly c1: number;
  readonly c2: number;
  readonly c3: number;
  readonly end: number;
}
const fieldStart = (b: FieldBounds, f: number): number =>
  f === 0 ? b.start : f === 1 ? b.c1 + 1 : f === 2 ? b.c2 + 1 : b.c3 + 1;
const fieldEnd = (b: FieldBounds, f: number): number =>
  f === 0 ? b.c1 : f === 1 ? b.c2 : f === 2 ? b.c3 : b.end;

/** Index of the newline ending the line that starts at `start` (or the text's length). */
function lineEnd(text: string, start: number): number {
  const end = text.indexOf('\n', start);
  return end < 0 ? text.length : end;
}

/** Index of the first comma in text[start, end), or -1. */
function commaIn(text: string, start: number, end: number): number {
  const at = text.indexOf(',', start);
  return at >= 0 && at < end ? at : -1;
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
