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
const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const HASH = 35;

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

/** Is text[from, to) exactly `s`? Compared in place, without cutting a substring. */
const sameAs = (text: string, from: number, to: number, s: string): boolean =>
  to - from === s.length && text.startsWith(s, from);

/** text[start, end) without surrounding blanks. */
function cellIn(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

/**
 * The internalized copy of `s`: it shares no storage with the chunk it was cut from (V8 keeps a slice
 * of 13+ characters as a view on its parent string, so a kept timestamp or queue id would pin its whole
 * 1 MiB read chunk and memory would grow with the file again), and two different internalized strings
 * compare unequal without reading their characters — the decide loop compares each observation's
 * timestamp with the previous one several times. A property key is always internalized.
 */
const detached = (s: string): string => Object.keys({ [s]: 0 })[0] as string;

/** Where the fields of one record are: field k is values[k] (quoted records) or text[starts[k], ends[k]). */
interface Fields {
  text: string;
  readonly starts: number[];
  readonly ends: number[];
}

/** A record that runs past the end of the text read so far (a quoted field still open). */
const INCOMPLETE = -1;

/**
 * Incremental scenario CSV parser: feed it the file's text in chunks of any size, in order, and it
 * calls `onLine` for each observation. It keeps only the header, the line count, one string per queue
 * id and the last timestamp, so memory does not grow with the file.
 *
 * Quoting is RFC 4180, as spreadsheets and Genesys exports write it: a field in double quotes may hold
 * commas, doubled quotes (`""` → `"`) and line breaks; blanks around the quotes are allowed and the
 * text inside them is kept verbatim. Unquoted fields are trimmed of blanks.
 */
export class ScenarioParser {
  private columns: [number, number, number, number] | undefined;
  private lineNo = 0;
  private observations = 0;
  // Equal strings are shared: one queue id object per queue, and consecutive lines with the same
  // timestamp (many queues observed in one tick) reuse it, which also skips re-validating it.
  private readonly queueIds = new Map<string, string>();
  private previousAt = '';
  // The queue of the previous line, and the queue that came after it the last time (one entry per queue).
  private lastQueue: string | undefined;
  private expectedQueue: string | undefined;
  private readonly following = new Map<string, string>();
  private readonly fields: Fields = { text: '', starts: [0, 0, 0, 0], ends: [0, 0, 0, 0] };

  constructor(readonly source: string) {}

  /**
   * Parses every complete record of `text` and returns the offset of the first unparsed character:
   * the caller prepends text[offset…] to the next chunk. With `final`, the whole text is parsed.
   * Throws ScenarioError at the first bad record.
   */
  feed(text: string, final: boolean, onLine: (line: ScenarioLine) => void): number {
    const n = text.length;
    // Where the next double quote is (-2: not looked for yet, -1: none left). Looked up lazily, once per
    // quote: an eager text.indexOf('"') with no start position ran ~100× slower under source maps
    // (tsx enables them), measured by bench/replay.bench.ts.
    let nextQuote = -2;
    let start = 0;
    while (start < n) {
      let newline = text.indexOf('\n', start);
      if (newline < 0) {
        if (!final) return start;
        newline = n;
      }
      let end = newline;
      if (end > start && text.charCodeAt(end - 1) === CR) end--; // CRLF files
      const first = text.charCodeAt(start);
      // Fast skip of the common cases; fall back to trimming for indented comments or whitespace-only lines.
      if (end === start || first === HASH || (isBlank(first) && isSkippable(text, start, end))) {
        this.lineNo++;
        start = newline + 1;
        continue;
      }
      if (nextQuote === -2 || (nextQuote >= 0 && nextQuote < start)) nextQuote = text.indexOf('"', start);
      if (nextQuote >= 0 && nextQuote < end) {
        // Quoted fields: the slow path, which may also span lines.
        const next = this.quotedRecord(text, start, final, onLine);
        if (next === INCOMPLETE) return start;
        start = next;
        continue;
      }
      this.lineNo++;
      this.plainRecord(text, start, end, onLine);
      start = newline + 1;
    }
    return n;
  }

  /** Call after the last chunk: a file without a header or without observations is refused. */
  finish(): void {
    if (!this.columns) {
      throw new ScenarioError(
        this.source,
        Math.max(this.lineNo, 1),
        'header',
        `missing (expected ${SCENARIO_COLUMNS.join(',')})`,
      );
    }
    if (this.observations === 0) {
      throw new ScenarioError(
        this.source,
        Math.max(this.lineNo, 1),
        'observations',
        'none: the file has a header but no observation lines',
      );
    }
  }

  /** A line without quotes: field boundaries by hand (no split, no closures), it runs millions of times. */
  private plainRecord(text: string, start: number, end: number, onLine: (line: ScenarioLine) => void): void {
    const c1 = commaIn(text, start, end);
    const c2 = c1 < 0 ? -1 : commaIn(text, c1 + 1, end);
    const c3 = c2 < 0 ? -1 : commaIn(text, c2 + 1, end);
    if (!this.columns) {
      this.columns = this.header(
        text
          .slice(start, end)
          .split(',')
          .map((s) => s.trim()),
      );
      return;
    }
    if (c3 < 0 || commaIn(text, c3 + 1, end) >= 0) {
      this.wrongFieldCount(text.slice(start, end).split(',').length);
    }
    const f = this.fields;
    f.text = text;
    f.starts[0] = start;
    f.ends[0] = c1;
    f.starts[1] = c1 + 1;
    f.ends[1] = c2;
    f.starts[2] = c2 + 1;
    f.ends[2] = c3;
    f.starts[3] = c3 + 1;
    f.ends[3] = end;
    this.observation(f, false, onLine);
  }

  /**
   * An RFC 4180 record starting at `start`: returns the offset after its line break, or INCOMPLETE
   * when a quoted field is still open at the end of a non-final text.
   */
  private quotedRecord(
    text: string,
    start: number,
    final: boolean,
    onLine: (line: ScenarioLine) => void,
  ): number {
    const n = text.length;
    const firstLine = this.lineNo + 1;
    let lines = 1;
    const values: string[] = [];
    let i = start;
    for (;;) {
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        value = '';
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) {
            if (!final) return INCOMPLETE;
            this.lineNo = firstLine;
            throw new ScenarioError(
              this.source,
              firstLine,
              this.fieldName(values.length),
              'quoted field never closed (a lone `"`)',
            );
          }
          value += text.slice(from, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            from = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        for (let k = value.indexOf('\n'); k >= 0; k = value.indexOf('\n', k + 1)) lines++;
        while (i < n && isBlank(text.charCodeAt(i))) i++;
        const c = i < n ? text.charCodeAt(i) : LF;
        if (c !== COMMA && c !== LF && !(c === CR && (i + 1 >= n || text.charCodeAt(i + 1) === LF))) {
          throw new ScenarioError(
            this.source,
            firstLine,
            this.fieldName(values.length),
            `text after the closing quote: ${shown(text.slice(i, lineEndIn(text, i)))}`,
          );
        }
      } else {
        let to = i;
        while (to < n) {
          const c = text.charCodeAt(to);
          if (c === COMMA || c === LF) break;
          if (c === QUOTE) {
            throw new ScenarioError(
              this.source,
              firstLine,
              this.fieldName(values.length),
              'a quote inside an unquoted field (quote the whole field and double the quote: "a""b")',
            );
          }
          to++;
        }
        if (to >= n && !final) return INCOMPLETE;
        let end = to;
        if (end > i && text.charCodeAt(end - 1) === CR) end--;
        value = cellIn(text, i, end);
        i = to;
      }
      values.push(value);
      if (i < n && text.charCodeAt(i) === CR) i++;
      if (i >= n) {
        if (!final) return INCOMPLETE;
        break;
      }
      if (text.charCodeAt(i) === LF) break;
      i++; // the comma
    }
    this.lineNo = firstLine + lines - 1;
    const next = i + 1;
    if (!this.columns) {
      this.lineNo = firstLine;
      this.columns = this.header(values.map((v) => v.trim()));
      this.lineNo = firstLine + lines - 1;
      return next;
    }
    if (values.length !== SCENARIO_COLUMNS.length) {
      this.lineNo = firstLine;
      this.wrongFieldCount(values.length);
    }
    const f = this.fields;
    const joined = values.join('\u0000');
    f.text = joined;
    let at = 0;
    for (let k = 0; k < values.length; k++) {
      f.starts[k] = at;
      at += (values[k] as string).length;
      f.ends[k] = at;
      at++;
    }
    const lastLine = this.lineNo;
    this.lineNo = firstLine;
    this.observation(f, true, onLine);
    this.lineNo = lastLine;
    return next;
  }

  /** Validates one record's fields (in file order) and emits it. Quoted values are kept verbatim. */
  private observation(f: Fields, quoted: boolean, onLine: (line: ScenarioLine) => void): void {
    const [atField, queueField, waitingField, agentsField] = this.columns as [number, number, number, number];
    const { text, starts, ends } = f;
    const lineNo = this.lineNo;

    // Timestamps and queue ids are compared in place with the ones expected (the previous line's
    // timestamp; the queue that followed the previous line's queue last time): most lines of a history
    // repeat both, and no substring is cut or hashed for them.
    let from = starts[atField] as number;
    let to = ends[atField] as number;
    while (from < to && isBlank(text.charCodeAt(from))) from++;
    while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
    let observedAt = this.previousAt;
    if (!sameAs(text, from, to, observedAt)) {
      observedAt = text.slice(from, to);
      if (Number.isNaN(parseIsoUtc(observedAt))) {
        throw new ScenarioError(
          this.source,
          lineNo,
          'observedAt',
          `must be an ISO-8601 UTC timestamp like 2026-11-27T09:00:00Z, got ${shown(observedAt)}`,
        );
      }
      observedAt = detached(observedAt);
      this.previousAt = observedAt;
    }

    from = starts[queueField] as number;
    to = ends[queueField] as number;
    if (!quoted) {
      while (from < to && isBlank(text.charCodeAt(from))) from++;
      while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
    }
    if (from === to) throw new ScenarioError(this.source, lineNo, 'queueId', 'must not be empty');
    let queueId = this.expectedQueue;
    if (queueId === undefined || !sameAs(text, from, to, queueId)) {
      const queueText = text.slice(from, to);
      queueId = this.queueIds.get(queueText);
      if (queueId === undefined) {
        queueId = detached(queueText);
        this.queueIds.set(queueId, queueId);
      }
      if (this.lastQueue !== undefined) this.following.set(this.lastQueue, queueId);
    }
    this.lastQueue = queueId;
    this.expectedQueue = this.following.get(queueId);

    const waiting = countIn(text, starts[waitingField] as number, ends[waitingField] as number);
    if (waiting < 0) {
      const got = cellIn(text, starts[waitingField] as number, ends[waitingField] as number);
      throw new ScenarioError(
        this.source,
        lineNo,
        'waiting',
        `must be a non-negative integer, got ${shown(got)}`,
      );
    }
    const agents = countIn(text, starts[agentsField] as number, ends[agentsField] as number);
    if (agents === -2) {
      const got = cellIn(text, starts[agentsField] as number, ends[agentsField] as number);
      throw new ScenarioError(
        this.source,
        lineNo,
        'agentsAvailable',
        `must be a non-negative integer or empty (unknown), got ${shown(got)}`,
      );
    }
    this.observations++;
    onLine({
      line: lineNo,
      observation: { queueId, observedAt, waiting, agentsAvailable: agents === -1 ? null : agents },
    });
  }

  private header(names: string[]): [number, number, number, number] {
    const line = this.lineNo;
    const index: number[] = [];
    names.forEach((name, i) => {
      if (!(SCENARIO_COLUMNS as readonly string[]).includes(name)) {
        throw new ScenarioError(
          this.source,
          line,
          'header',
          `unknown column ${shown(name)} (expected ${SCENARIO_COLUMNS.join(',')})`,
        );
      }
      const col = SCENARIO_COLUMNS.indexOf(name as Column);
      if (index[col] !== undefined)
        throw new ScenarioError(this.source, line, 'header', `column ${shown(name)} appears twice`);
      index[col] = i;
    });
    for (const [col, name] of SCENARIO_COLUMNS.entries()) {
      if (index[col] === undefined) {
        throw new ScenarioError(
          this.source,
          line,
          'header',
          `missing column "${name}" (expected ${SCENARIO_COLUMNS.join(',')})`,
        );
      }
    }
    return index as [number, number, number, number];
  }

  private wrongFieldCount(got: number): never {
    throw new ScenarioError(
      this.source,
      this.lineNo,
      'line',
      `expected ${SCENARIO_COLUMNS.length} fields (${SCENARIO_COLUMNS.join(',')}), got ${got}`,
    );
  }

  /** The column name of field `k` of a record (its header name), for error messages. */
  private fieldName(k: number): string {
    if (!this.columns) return 'header';
    const col = this.columns.indexOf(k);
    return col >= 0 ? (SCENARIO_COLUMNS[col] as string) : 'line';
  }
}

/** A whitespace-only or indented-comment line. */
function isSkippable(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  return i === end || text.charCodeAt(i) === HASH;
}

/**
 * Parses a whole scenario CSV held in memory. `source` names the file in error messages. Throws
 * ScenarioError on the first bad line (nothing is returned for a partly valid file: a replay of half a
 * history would mislead), and on a file without a header or without observations.
 */
export function parseScenario(text: string, source: string): ScenarioLine[] {
  const out: ScenarioLine[] = [];
  const parser = new ScenarioParser(source);
  parser.feed(withoutBom(text), true, (line) => out.push(line));
  parser.finish();
  return out;
}

/**
 * Streams a scenario from the bytes of a UTF-8 file, read chunk by chunk: memory stays flat whatever
 * the file size. Calls `onLine` per observation in file order; throws like parseScenario.
 *
 * Each piece handed to the parser is decoded from whole lines of bytes (a newline byte never occurs
 * inside a multi-byte UTF-8 character), so it is one flat string: concatenating strings instead would
 * give V8 a rope that gets re-flattened — a megabyte copied — on every line.
 */
export async function streamScenario(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  onLine: (line: ScenarioLine) => void,
): Promise<void> {
  const parser = new ScenarioParser(source);
  let carry: Buffer = Buffer.alloc(0);
  let first = true;
  for await (const chunk of chunks) {
    const bytes =
      carry.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([carry, chunk]);
    const lastNewline = bytes.lastIndexOf(10);
    if (lastNewline < 0) {
      carry = bytes;
      continue;
    }
    let text = bytes.toString('utf8', 0, lastNewline + 1);
    if (first) {
      text = withoutBom(text);
      first = false;
    }
    const used = parser.feed(text, false, onLine);
    const rest = bytes.subarray(lastNewline + 1);
    // A quoted field still open at the end of the piece: its record is parsed again with more text.
    carry =
      used < text.length ? Buffer.concat([Buffer.from(text.slice(used), 'utf8'), rest]) : Buffer.from(rest);
  }
  const text = carry.toString('utf8');
  parser.feed(first ? withoutBom(text) : text, true, onLine);
  parser.finish();
}

/** Spreadsheets save UTF-8 CSV with a byte-order mark; it is not part of the first column's name. */
const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** Index of the first comma in text[start, end), or -1. */
function commaIn(text: string, start: number, end: number): number {
  const at = text.indexOf(',', start);
  return at >= 0 && at < end ? at : -1;
}

/** Index of the end of the line containing `at` (its newline, or the text's length). */
function lineEndIn(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end < 0 ? text.length : end;
}

/** A field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, quote, line break or edge blanks. */
const csvField = (v: string): string =>
  /[",\r\n]|^[ \t]|[ \t]$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;

/** Renders observations as scenario CSV (the inverse of parseScenario, for generated traces and exports). */
export function formatScenario(observations: Iterable<QueueObservation>, comment?: string): string {
  const parts: string[] = [];
  if (comment) for (const c of comment.split('\n')) parts.push(`# ${c}`.trimEnd());
  parts.push(SCENARIO_COLUMNS.join(','));
  for (const o of observations) {
    parts.push(`${o.observedAt},${csvField(o.queueId)},${o.waiting},${o.agentsAvailable ?? ''}`);
  }
  return `${parts.join('\n')}\n`;
}
