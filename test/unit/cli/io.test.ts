import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWritable, UsageError, unmatchedQueueWarnings } from '../../../bin/cli/io';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'surge-io-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('checkWritable', () => {
  it('accepts a new file in an existing folder and leaves nothing behind', async () => {
    const path = join(dir, 'report.html');
    await checkWritable('--report', path);
    expect(existsSync(path)).toBe(false);
  });

  it.each([
    ['a missing folder', () => join(dir, 'nope', 'report.html'), 'no such folder'],
    ['a directory', () => dir, 'is a directory'],
  ])('rejects %s in one line naming the flag', async (_case, path, why) => {
    const p = path();
    await expect(checkWritable('--outbox', p)).rejects.toThrow(
      new UsageError(`--outbox: cannot write ${p}: ${why}`),
    );
  });
});

describe('unmatchedQueueWarnings', () => {
  it('names config queues and actuator scopes the scenario never mentions, never the wildcard', () => {
    const config = {
      queues: [{ id: 'sales' }, { id: 'salse' }],
      actuators: [
        { id: 'gate', queues: ['sales', 'returns'] },
        { id: 'bot', queues: ['*'] },
      ],
    };
    expect(unmatchedQueueWarnings(config, ['sales', 'support'])).toEqual([
      "config queue 'salse' does not appear in the scenario",
      "actuator 'gate' covers queue 'returns', which does not appear in the scenario",
    ]);
  });
});
