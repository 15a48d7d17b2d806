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

/**
 * Where the parser delivers observations, one call per line in file order, as plain values: a replay
 * of millions of lines allocates no object per line. `queue` numbers the queues 0, 1, 2… in order of
 * first appearance (the same number for the same id), so a consumer can keep per-queue data in an array.
 */
export interface ObservationSink {
  observe(
    line: number,
    queue: number,
    queueId: string,
    observedAt: string,
    /** `observedAt` in epoch ms (already parsed to validate it). */
    observedAtMs: number,
    waiting: number,
    agentsAvailable: number | null,
  ): void;
}

/** A sink that hands each observation on as a ScenarioLine object. */
const linesTo = (onLine: (line: ScenarioLine) => void): ObservationSink => ({
  observe(line, _queue, queueId, observedAt, _observedAtMs, waiting, agentsAvailable) {
    onLine({ line, observation: { queueId, observedAt, waiting, agentsAvailable } });
  },
});

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
const detached = (s: string): string => {
  // One key at a time in a dictionary-mode object: `Object.keys({ [s]: 0 })` gave every new key its
  // own hidden class (a new timestamp every tick: thousands of them) and was 4× slower.
  INTERNED[s] = 0;
  let key = s;
  for (key in INTERNED) break;
  delete INTERNED[s];
  return key;
};
const INTERNED: Record<string, number> = Object.create(null);

/** Where the fields of one record are: field k is values[k] (quoted records) or text[starts[k], ends[k]). */
interface Fields {
  text: string;
  readonly starts: number[];
  readonly ends: number[];
}

/** A record that runs past the end of the text read so far (a quoted field still open). */
const INCOMPLETE = -1;

/** One queue id of the file: its number, its UTF-8 bytes (compared in place) and the queue that followed it last. */
interface QueueSlot {
  readonly id: string;
  readonly index: number;
  readonly bytes: Buffer;
  next: QueueSlot | undefined;
}

/** Is bytes[from, to) exactly `expected`? */
function sameBytes(bytes: Buffer, from: number, to: number, expected: Buffer): boolean {
  if (to - from !== expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (bytes[from + k] !== expected[k]) return false;
  return true;
}

/** The digit value of byte `c`, or -1. */
const digitOf = (c: number | undefined): number => (c !== undefined && c >= 48 && c <= 57 ? c - 48 : -1);

/**
 * Incremental scenario CSV parser: feed it the file's bytes (or text) in chunks of any size, in order,
 * and it calls its sink for each observation. It keeps only the header, the line count, one entry per
 * queue id and the last timestamp, so memory does not grow with the file.
 *
 * Quoting is RFC 4180, as spreadsheets and Genesys exports write it: a field in double quotes may hold
 * commas, doubled quotes (`""` → `"`) and line breaks; blanks around the quotes are allowed and the
 * text inside them is kept verbatim. Unquoted fields are trimmed of blanks.
 */
export class ScenarioParser {
  private columns: [number, number, number, number] | undefined;
  /** The header is observedAt,queueId,waiting,agentsAvailable in that order: the byte path may read lines. */
  private columnsInOrder = false;
  private lineNo = 0;
  private observations = 0;
  // Equal strings are shared: one queue id object per queue, and consecutive lines with the same
  // timestamp (many queues observed in one tick) reuse it, which also skips re-validating it.
  private readonly queues = new Map<string, QueueSlot>();
  private previousAt = '';
  private previousAtMs = Number.NaN;
  // The previous timestamp's bytes, compared in place with each line's (length -1: none to compare).
  private readonly previousAtBytes = Buffer.alloc(40);
  private previousAtLength = -1;
  // The queue of the previous line, and the queue that came after it the last time.
  private lastQueue: QueueSlot | undefined;
  private expectedQueue: QueueSlot | undefined;
  private readonly fields: Fields = { text: '', starts: [0, 0, 0, 0], ends: [0, 0, 0, 0] };

  constructor(readonly source: string) {}

  /**
   * Parses every complete record of `text` and returns the offset of the first unparsed character:
   * the caller prepends text[offset…] to the next chunk. With `final`, the whole text is parsed.
   * Throws ScenarioError at the first bad record.
   */
  feed(text: string, final: boolean, sink: ObservationSink): number {
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
        const next = this.quotedRecord(text, start, final, sink);
        if (next === INCOMPLETE) return start;
        start = next;
        continue;
      }
      this.lineNo++;
      this.plainRecord(text, start, end, sink);
      start = newline + 1;
    }
    return n;
  }

  /**
   * Like `feed`, from UTF-8 bytes: parses every complete record of bytes[start…] and returns the offset
   * of the first unparsed byte. Ordinary lines (`2026-11-27T09:00:00Z,sales,12,8`) are read straight
   * from the bytes, without a string per line; any other line (the header, comments with blanks before
   * them, quotes, blanks to trim, a bad field, a last line without a line break) is decoded and parsed
   * by `feed`, so what it accepts and the errors it gives are exactly the string parser's.
   */
  feedBytes(bytes: Buffer, start: number, final: boolean, sink: ObservationSink): number {
    const n = bytes.length;
    let s = start;
    while (s < n) {
      const first = bytes[s];
      if (first === LF) {
        this.lineNo++;
        s++;
        continue;
      }
      if (first === HASH) {
        const newline = bytes.indexOf(LF, s);
        if (newline >= 0) {
          this.lineNo++;
          s = newline + 1;
          continue;
        }
      } else if (this.columnsInOrder) {
        const next = this.plainBytes(bytes, s, sink);
        if (next >= 0) {
          s = next;
          continue;
        }
      }
      const newline = bytes.indexOf(LF, s);
      if (newline < 0 && !final) return s;
      const lineEnd = newline < 0 ? n : newline + 1;
      const text = bytes.toString('utf8', s, lineEnd);
      if (this.feed(text, final && lineEnd === n, sink) === text.length) {
        s = lineEnd;
        continue;
      }
      // A quoted field still open at the line break: its record goes on in the lines after it.
      const rest = bytes.toString('utf8', s, n);
      const used = this.feed(rest, final, sink);
      if (used === rest.length) return n;
      // `used` is just after a line break: as many line-break bytes on (one byte per '\n', whatever the text).
      for (let k = rest.lastIndexOf('\n', used - 1); k >= 0; k = rest.lastIndexOf('\n', k - 1)) {
        s = bytes.indexOf(LF, s) + 1;
      }
      return s;
    }
    return n;
  }

  /**
   * An ordinary line at bytes[start…]: four unquoted fields without blanks around them, a timestamp in
   * printable ASCII, counts of 1–15 digits (agents may be empty), LF or CRLF. Emits it and returns the
   * offset after its line break, or returns -1 having changed nothing: the line is left to `feed`.
   */
  private plainBytes(b: Buffer, start: number, sink: ObservationSink): number {
    const n = b.length;
    // observedAt: most lines repeat the previous line's timestamp (all queues of one tick).
    const previous = this.previousAtBytes;
    const length = this.previousAtLength;
    let atEnd = start;
    let sameAt = false;
    if (length > 0 && start + length < n && b[start + length] === COMMA) {
      let k = 0;
      while (k < length && b[start + k] === previous[k]) k++;
      sameAt = k === length;
    }
    if (sameAt) atEnd = start + length;
    else {
      for (; atEnd < n; atEnd++) {
        const c = b[atEnd] as number;
        if (c === COMMA) break;
        if (c <= 32 || c >= 127 || c === QUOTE) return -1;
      }
      if (atEnd === start || atEnd >= n) return -1;
    }
    // queueId: any bytes but a quote or line break, no blank at either end.
    const queueStart = atEnd + 1;
    let queueEnd = queueStart;
    for (; queueEnd < n; queueEnd++) {
      const c = b[queueEnd];
      if (c === COMMA) break;
      if (c === QUOTE || c === LF || c === CR) return -1;
    }
    if (
      queueEnd >= n ||
      queueEnd === queueStart ||
      isBlank(b[queueStart] as number) ||
      isBlank(b[queueEnd - 1] as number)
    )
      return -1;
    // waiting: 1–15 digits, then a comma.
    let i = queueEnd + 1;
    const waitingStart = i;
    let waiting = 0;
    for (let d = digitOf(b[i]); d >= 0; d = digitOf(b[++i])) waiting = waiting * 10 + d;
    if (i === waitingStart || i - waitingStart > 15 || b[i] !== COMMA) return -1;
    // agentsAvailable: 0–15 digits (none: unknown), then the line break.
    const agentsStart = ++i;
    let agents = 0;
    for (let d = digitOf(b[i]); d >= 0; d = digitOf(b[++i])) agents = agents * 10 + d;
    const agentsEnd = i;
    if (agentsEnd - agentsStart > 15) return -1;
    if (b[i] === CR) i++;
    if (b[i] !== LF) return -1; // also past the end: the last line without a line break goes to `feed`

    let observedAt = this.previousAt;
    if (!sameAt) {
      // A string of its own (not a view on the chunk), so it pins no chunk in memory.
      observedAt = b.toString('latin1', start, atEnd);
      const ms = parseIsoUtc(observedAt);
      if (Number.isNaN(ms)) return -1;
      this.rememberAt(observedAt, ms);
    }
    let queue = this.expectedQueue;
    if (queue === undefined || !sameBytes(b, queueStart, queueEnd, queue.bytes)) {
      queue = this.slotOf(b.toString('utf8', queueStart, queueEnd));
      if (this.lastQueue !== undefined) this.lastQueue.next = queue;
    }
    this.lastQueue = queue;
    this.expectedQueue = queue.next;
    this.lineNo++;
    this.observations++;
    sink.observe(
      this.lineNo,
      queue.index,
      queue.id,
      observedAt,
      this.previousAtMs,
      waiting,
      agentsEnd === agentsStart ? null : agents,
    );
    return i + 1;
  }

  /** The timestamp the next line is compared with first (a valid timestamp is ASCII: one byte per character). */
  private rememberAt(observedAt: string, ms: number): void {
    this.previousAt = observedAt;
    this.previousAtMs = ms;
    this.previousAtLength =
      observedAt.length <= this.previousAtBytes.length
        ? this.previousAtBytes.write(observedAt, 'latin1')
        : -1;
  }

  /** The slot of queue id `id`, numbered in order of first appearance. */
  private slotOf(id: string): QueueSlot {
    let slot = this.queues.get(id);
    if (slot === undefined) {
      const kept = detached(id);
      slot = { id: kept, index: this.queues.size, bytes: Buffer.from(kept, 'utf8'), next: undefined };
      this.queues.set(kept, slot);
    }
    return slot;
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
  private plainRecord(text: string, start: number, end: number, sink: ObservationSink): void {
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
    this.observation(f, false, sink);
  }

  /**
   * An RFC 4180 record starting at `start`: returns the offset after its line break, or INCOMPLETE
   * when a quoted field is still open at the end of a non-final text.
   */
  private quotedRecord(text: string, start: number, final: boolean, sink: ObservationSink): number {
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
          // The error quotes the rest of the line: wait until the line's end has arrived.
          if (!final && text.indexOf('\n', i) < 0) return INCOMPLETE;
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
    this.observation(f, true, sink);
    this.lineNo = lastLine;
    return next;
  }

  /** Validates one record's fields (in file order) and emits it. Quoted values are kept verbatim. */
  private observation(f: Fields, quoted: boolean, sink: ObservationSink): void {
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
    if (from === to || !sameAs(text, from, to, observedAt)) {
      observedAt = text.slice(from, to);
      const ms = parseIsoUtc(observedAt);
      if (Number.isNaN(ms)) {
        throw new ScenarioError(
          this.source,
          lineNo,
          'observedAt',
          `must be an ISO-8601 UTC timestamp like 2026-11-27T09:00:00Z, got ${shown(observedAt)}`,
        );
      }
      observedAt = detached(observedAt);
      this.rememberAt(observedAt, ms);
    }

    from = starts[queueField] as number;
    to = ends[queueField] as number;
    if (!quoted) {
      while (from < to && isBlank(text.charCodeAt(from))) from++;
      while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
    }
    if (from === to) throw new ScenarioError(this.source, lineNo, 'queueId', 'must not be empty');
    let queue = this.expectedQueue;
    if (queue === undefined || !sameAs(text, from, to, queue.id)) {
      queue = this.slotOf(text.slice(from, to));
      if (this.lastQueue !== undefined) this.lastQueue.next = queue;
    }
    this.lastQueue = queue;
    this.expectedQueue = queue.next;

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
    sink.observe(
      lineNo,
      queue.index,
      queue.id,
      observedAt,
      this.previousAtMs,
      waiting,
      agents === -1 ? null : agents,
    );
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
    this.columnsInOrder = index.every((field, col) => field === col);
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
  parser.feed(
    withoutBom(text),
    true,
    linesTo((line) => out.push(line)),
  );
  parser.finish();
  return out;
}

/**
 * Streams a scenario from the bytes of a UTF-8 file, read chunk by chunk: memory stays flat whatever
 * the file size. Calls `sink.observe` per observation in file order; throws like parseScenario.
 *
 * The bytes are parsed where they lie (`feedBytes`); only the partial line at the end of a chunk is
 * carried over and joined to the next chunk.
 */
export async function streamObservations(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  sink: ObservationSink,
): Promise<void> {
  const parser = new ScenarioParser(source);
  let carry: Buffer | undefined;
  let first = true;
  for await (const chunk of chunks) {
    const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const bytes = carry === undefined ? piece : Buffer.concat([carry, piece]);
    let start = 0;
    if (first) {
      if (bytes.length < BOM.length) {
        carry = bytes;
        continue;
      }
      first = false;
      if (startsWithBom(bytes)) start = BOM.length;
    }
    const used = parser.feedBytes(bytes, start, false, sink);
    // Copied: a view would keep the whole chunk alive (a quoted record may carry a lot, but rarely).
    carry = used < bytes.length ? Buffer.from(bytes.subarray(used)) : undefined;
  }
  const rest = carry ?? Buffer.alloc(0);
  parser.feedBytes(rest, first && startsWithBom(rest) ? BOM.length : 0, true, sink);
  parser.finish();
}

/** Streams a scenario as ScenarioLine objects (see streamObservations). */
export function streamScenario(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  onLine: (line: ScenarioLine) => void,
): Promise<void> {
  return streamObservations(chunks, source, linesTo(onLine));
}

/** The UTF-8 byte-order mark. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const startsWithBom = (bytes: Buffer): boolean =>
  bytes.length >= BOM.length && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];

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
