import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../../../bin/cli/progress';

// The drill's progress line: a terminal sees one line redrawn in place; anything else sees nothing.

function setup(isTTY: boolean) {
  let now = 0;
  const written: string[] = [];
  const line = new ProgressLine('cx-surge drill', {
    stream: { isTTY, write: (t: string) => written.push(t) },
    now: () => now,
    afterMs: 2000,
    everyMs: 250,
  });
  return { line, written, at: (ms: number) => (now = ms) };
}

describe('ProgressLine', () => {
  it('stays silent for a short run, then redraws one line at most every 250 ms and erases it at the end', () => {
    const { line, written, at } = setup(true);
    at(1000);
    line.update(10, 100, 'simulated 09:10');
    expect(written).toEqual([]);
    at(2000);
    line.update(20, 100, 'simulated 09:20');
    at(2100);
    line.update(21, 100);
    at(2300);
    line.update(25, 100, 'simulated 09:25');
    line.done();
    expect(written).toEqual([
      '\r\x1b[Kcx-surge drill: 20/100 (20%), simulated 09:20, 2 s',
      '\r\x1b[Kcx-surge drill: 25/100 (25%), simulated 09:25, 2 s',
      '\r\x1b[K',
    ]);
    expect(written.join('')).not.toContain('\n');
  });

  it('writes nothing at all when stderr is not a terminal (pipes, CI logs)', () => {
    const { line, written, at } = setup(false);
    for (let ms = 0; ms <= 60_000; ms += 100) {
      at(ms);
      line.update(ms / 100, 600);
    }
    line.done();
    expect(written).toEqual([]);
  });

  it('erases nothing when it never drew', () => {
    const { line, written } = setup(true);
    line.done();
    expect(written).toEqual([]);
  });
});
