// The `cx-surge` dispatcher: version, help for one command, unknown commands.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLI_NAME, main } from '../../../bin/surge';

const version = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe('cx-surge', () => {
  it('is called cx-surge, not surge (the surge.sh publisher owns that name on npm)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(CLI_NAME).toBe('cx-surge');
    expect(Object.keys(pkg.bin)).toEqual(['cx-surge']);
  });

  it.each([['--version'], ['-v'], ['version']])('prints its version with %s', async (flag) => {
    expect(await main([flag])).toBe(0);
    expect(out.join('')).toBe(`cx-surge ${version}`);
  });

  it('prints the help of one command with `help CMD`, the same as `CMD --help`', async () => {
    expect(await main(['help', 'replay'])).toBe(0);
    const viaHelp = out.join('');
    out.length = 0;
    expect(await main(['replay', '--help'])).toBe(0);
    expect(viaHelp).toMatch(/^usage: cx-surge replay --scenario FILE\.csv/);
    expect(out.join('')).toBe(viaHelp);
  });

  it('lists every command with `help` alone and exits 0', async () => {
    expect(await main(['help'])).toBe(0);
    expect(out.join('')).toMatch(/^usage: cx-surge <command> \[options\]/);
    for (const name of ['replay', 'drill', 'emulator', 'edge']) expect(out.join('')).toContain(`  ${name} `);
  });

  it('rejects an unknown command, also after help, with exit 2', async () => {
    expect(await main(['overide'])).toBe(2);
    expect(err.join('')).toMatch(/^cx-surge: unknown command 'overide'/);
    err.length = 0;
    expect(await main(['help', 'overide'])).toBe(2);
    expect(err.join('')).toMatch(/^cx-surge: unknown command 'overide'/);
  });

  it('prints the usage and exits 2 with no command', async () => {
    expect(await main([])).toBe(2);
    expect(out.join('')).toContain('usage: cx-surge');
  });
});
