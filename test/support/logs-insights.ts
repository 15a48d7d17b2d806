// A small interpreter of the CloudWatch Logs Insights commands the dashboard's queries use, run over the
// JSON log lines the handlers really write. It exists so a test fails when the queries
// (lib/surge-monitoring.ts) and the log lines (lambdas/app/evaluation-log.ts) drift apart. It refuses
// anything it does not know, so a query that grows a new command fails until the interpreter learns it.
// Semantics follow the Logs Insights docs: fields of a JSON event are its top-level keys; `@timestamp`
// is the event's time; latest(f) is f of the event with the latest timestamp; bin(Nm) floors time.

export interface LogEvent {
  readonly '@timestamp': number;
  readonly [field: string]: unknown;
}

export type Row = Record<string, unknown>;

const AGGREGATE = /^(latest|max|min|sum|count)\(([@\w.]+|\*)\)\s+as\s+(\w+)$/;
const BIN = /^bin\((\d+)m\)$/;

/** Runs the query (one command per entry, as LogQueryWidget's queryLines) over `events`. */
export function runQuery(queryLines: readonly string[], events: readonly LogEvent[]): Row[] {
  let rows: Row[] = events.map((e) => ({ ...e }));
  for (const raw of queryLines) {
    const line = raw.trim();
    const [command, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (command === 'filter') rows = rows.filter(predicate(args));
    else if (command === 'stats') rows = stats(args, rows);
    else if (command === 'sort') rows = sort(args, rows);
    else if (command === 'limit') rows = rows.slice(0, Number(args));
    else throw new Error(`logs-insights: unsupported command '${line}'`);
  }
  return rows;
}

function predicate(expr: string): (row: Row) => boolean {
  const equals = /^([@\w.]+)\s*=\s*"([^"]*)"$/.exec(expr);
  if (equals) {
    const [, field, value] = equals as unknown as [string, string, string];
    return (row) => row[field] === value;
  }
  const present = /^ispresent\(([@\w.]+)\)$/.exec(expr);
  if (present) {
    const field = present[1] as string;
    return (row) => row[field] !== undefined && row[field] !== null;
  }
  throw new Error(`logs-insights: unsupported filter '${expr}'`);
}

function stats(args: string, rows: Row[]): Row[] {
  const [aggregatesText, byText] = args.split(/\s+by\s+/) as [string, string | undefined];
  const aggregates = aggregatesText.split(/,\s*/).map((a) => {
    const m = AGGREGATE.exec(a.trim());
    if (!m) throw new Error(`logs-insights: unsupported aggregate '${a}'`);
    return { fn: m[1] as string, field: m[2] as string, as: m[3] as string };
  });
  const by = byText?.trim();
  const bin = by ? BIN.exec(by) : null;
  const keyOf = (row: Row): string =>
    by === undefined
      ? ''
      : bin
        ? String(
            Math.floor((row['@timestamp'] as number) / (Number(bin[1]) * 60_000)) * Number(bin[1]) * 60_000,
          )
        : String(row[by]);
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    if (by !== undefined && !bin && (row[by] === undefined || row[by] === null)) continue;
    const key = keyOf(row);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups].map(([key, group]) => {
    const out: Row = {};
    if (by !== undefined) out[bin ? 'bin' : by] = bin ? Number(key) : group[0]?.[by];
    for (const a of aggregates) out[a.as] = aggregate(a.fn, a.field, group);
    return out;
  });
}

function aggregate(fn: string, field: string, group: Row[]): unknown {
  const values = group.filter((r) => r[field] !== undefined && r[field] !== null);
  switch (fn) {
    case 'count':
      return field === '*' ? group.length : values.length;
    case 'latest': {
      const last = [...group]
        .sort((a, b) => (a['@timestamp'] as number) - (b['@timestamp'] as number))
        .at(-1);
      return last?.[field];
    }
    case 'sum':
      return values.reduce((s, r) => s + Number(r[field]), 0);
    case 'max':
      return values.length ? Math.max(...values.map((r) => Number(r[field]))) : undefined;
    case 'min':
      return values.length ? Math.min(...values.map((r) => Number(r[field]))) : undefined;
    default:
      throw new Error(`logs-insights: unsupported function '${fn}'`);
  }
}

function sort(args: string, rows: Row[]): Row[] {
  const m = /^([@\w.]+)(?:\s+(asc|desc))?$/.exec(args);
  if (!m) throw new Error(`logs-insights: unsupported sort '${args}'`);
  const field = m[1] as string;
  const sign = m[2] === 'asc' ? 1 : -1; // Logs Insights sorts descending by default
  return [...rows].sort((a, b) => sign * (Number(a[field] ?? -Infinity) - Number(b[field] ?? -Infinity)));
}

/**
 * Captures what the process writes to stdout (Powertools' log lines and EMF blobs) as log events,
 * stamped with `now()` (the simulated clock) as CloudWatch would stamp them on arrival, and what it
 * writes to stderr (also in the function's log group) as plain lines.
 */
export function captureStdout(now: () => number): {
  readonly events: LogEvent[];
  readonly lines: string[];
  readonly stderr: string[];
  restore(): void;
} {
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const captured = { events: [] as LogEvent[], lines: [] as string[], stderr: [] as string[] };
  const text = (chunk: string | Uint8Array) =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    for (const line of text(chunk).split('\n')) {
      if (!line.trim()) continue;
      captured.lines.push(line);
      captured.events.push({ ...(JSON.parse(line) as Record<string, unknown>), '@timestamp': now() });
    }
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    captured.stderr.push(
      ...text(chunk)
        .split('\n')
        .filter((l) => l.trim()),
    );
    return true;
  }) as typeof process.stderr.write;
  return {
    ...captured,
    restore: () => {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    },
  };
}
