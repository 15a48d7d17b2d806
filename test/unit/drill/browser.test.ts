// Which Chromium the tests and the drill use: CHROMIUM_PATH, then `chromium` on PATH, then the packaged one.
// (The packaged path is exercised for real by every browser test on a machine without Chromium.)
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrowserNotFoundError, chromiumOnPath, resolveBrowser } from '../../../drill/browser';

let dir: string;
const fakeBinary = (folder: string, name = 'chromium', mode = 0o755): string => {
  const path = join(folder, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'surge-browser-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveBrowser', () => {
  it('prefers CHROMIUM_PATH over chromium on PATH', async () => {
    const explicit = fakeBinary(dir, 'my-chrome');
    const onPath = mkdtempSync(join(dir, 'bin-'));
    fakeBinary(onPath);

    const resolved = await resolveBrowser({ env: { CHROMIUM_PATH: explicit, PATH: onPath } });

    expect(resolved).toMatchObject({ executablePath: explicit, source: 'CHROMIUM_PATH' });
    expect(resolved.args).toContain('--no-sandbox');
  });

  it('rejects a CHROMIUM_PATH that is not executable, in one line naming it', async () => {
    const notExecutable = fakeBinary(dir, 'chromium', 0o644);

    await expect(resolveBrowser({ env: { CHROMIUM_PATH: notExecutable } })).rejects.toThrow(
      new BrowserNotFoundError(`CHROMIUM_PATH=${notExecutable} is not an executable file`),
    );
  });

  it('finds chromium on PATH, skipping folders without it and non-executable files', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const notExecutable = mkdtempSync(join(dir, 'noexec-'));
    fakeBinary(notExecutable, 'chromium', 0o644);
    const good = mkdtempSync(join(dir, 'good-'));
    const binary = fakeBinary(good);

    const resolved = await resolveBrowser({ env: { PATH: [empty, notExecutable, good].join(':') } });

    expect(resolved).toMatchObject({ executablePath: binary, source: 'PATH' });
  });

  it('falls back to the packaged Chromium when there is none on PATH', async () => {
    expect(chromiumOnPath(dir)).toBeUndefined();

    const resolved = await resolveBrowser({ env: { PATH: dir } });

    expect(resolved.source).toBe('@sparticuz/chromium');
    expect(resolved.executablePath).toMatch(/cx-surge-chromium-153\.0\.0-[^/]+\/chromium$/);
    expect(resolved.args).toContain("--headless='shell'");
  }, 120_000);
});
