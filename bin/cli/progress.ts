// A progress line on stderr for long runs (`cx-surge drill` over a day of observations takes a while):
// one line rewritten in place, only on a terminal, only once the run has taken `afterMs`, at most every
// `everyMs`, and erased when the run ends, so piped output and `--json` never see it.

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOptions {
  readonly stream?: ProgressStream;
  /** Wall clock in ms (tests pass their own). @default Date.now */
  readonly now?: () => number;
  /** Show nothing for runs shorter than this. @default 2000 */
  readonly afterMs?: number;
  /** Redraw at most this often. @default 250 */
  readonly everyMs?: number;
}

export class ProgressLine {
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly started: number;
  private readonly afterMs: number;
  private readonly everyMs: number;
  private lastDrawn = Number.NEGATIVE_INFINITY;
  private shown = false;

  constructor(
    private readonly label: string,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.afterMs = options.afterMs ?? 2000;
    this.everyMs = options.everyMs ?? 250;
  }

  /** `done` of `total` items; `detail` e.g. the simulated time reached. */
  update(done: number, total: number, detail = ''): void {
    if (!this.stream.isTTY) return;
    const now = this.now();
    const elapsed = now - this.started;
    if (elapsed < this.afterMs || now - this.lastDrawn < this.everyMs) return;
    this.lastDrawn = now;
    this.shown = true;
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    const text = `${this.label}: ${done}/${total} (${percent}%)${detail ? `, ${detail}` : ''}, ${(elapsed / 1000).toFixed(0)} s`;
    // \r + erase-to-end-of-line: the same line, redrawn.
    this.stream.write(`\r\x1b[K${text}`);
  }

  /** Erases the line (if it was ever drawn) so what follows starts on a clean line. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
