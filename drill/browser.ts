// Finds a Chromium for the browser tests, the console's tests and the drill, on any machine:
//   1. $CHROMIUM_PATH (an explicit binary),
//   2. `chromium` on $PATH (e.g. Debian's package),
//   3. the headless Chromium inside the `@sparticuz/chromium` npm package (a devDependency, so `npm ci`
//      alone provides it; nothing is installed by hand and nothing downloads a browser).
// The package's binary is extracted once per machine into a versioned cache folder; see `extractPackaged`.
import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/** Where the browser came from, for messages ("using Chromium from …"). */
export type BrowserSource = 'CHROMIUM_PATH' | 'PATH' | '@sparticuz/chromium';

export interface ResolvedBrowser {
  readonly executablePath: string;
  /** Command-line flags to launch it with (playwright-core `launch({ executablePath, args })`). */
  readonly args: readonly string[];
  readonly source: BrowserSource;
}

/** No Chromium anywhere: the one-line reason and what to do. */
export class BrowserNotFoundError extends Error {
  override readonly name = 'BrowserNotFoundError';
}

/** The npm package with the fallback Chromium; its cache folder is keyed by its version, so an upgrade re-extracts. */
export const PACKAGED_CHROMIUM = '@sparticuz/chromium';

// Flags for a system Chromium in a container or CI: no sandbox (often root), no GPU, nothing phoning home.
const SYSTEM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface ResolveOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder the packaged Chromium is extracted under. @default os.tmpdir() */
  readonly cacheRoot?: string;
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** `chromium` on PATH, like `command -v chromium`. */
export function chromiumOnPath(pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'chromium');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds a Chromium (see the top of this file for the order). Throws BrowserNotFoundError. */
export async function resolveBrowser(options: ResolveOptions = {}): Promise<ResolvedBrowser> {
  const env = options.env ?? process.env;
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    if (!isExecutable(explicit))
      throw new BrowserNotFoundError(`CHROMIUM_PATH=${explicit} is not an executable file`);
    return { executablePath: explicit, args: SYSTEM_ARGS, source: 'CHROMIUM_PATH' };
  }
  const onPath = chromiumOnPath(env.PATH);
  if (onPath) return { executablePath: onPath, args: SYSTEM_ARGS, source: 'PATH' };
  return extractPackaged(options.cacheRoot ?? tmpdir());
}

/** One extraction per cache folder per process. */
const packaged = new Map<string, Promise<ResolvedBrowser>>();

/**
 * The package's `executablePath()` inflates into `os.tmpdir()` and trusts any file already there, so two
 * test workers extracting at once could launch a half-written binary. Instead each process extracts into
 * its own staging folder (a child process with TMPDIR pointing there) and renames it into place: the
 * cache folder either does not exist or is complete. The loser of a rename race uses the winner's copy.
 */
async function extractPackaged(cacheRoot: string): Promise<ResolvedBrowser> {
  let pending = packaged.get(cacheRoot);
  if (!pending) {
    pending = extractOnce(cacheRoot);
    packaged.set(cacheRoot, pending);
  }
  try {
    return await pending;
  } catch (e) {
    packaged.delete(cacheRoot);
    throw e;
  }
}

async function extractOnce(cacheRoot: string): Promise<ResolvedBrowser> {
  const require = createRequire(import.meta.url);
  let entry: string;
  let version: string;
  try {
    entry = require.resolve(PACKAGED_CHROMIUM);
    // The package exports no ./package.json: read it beside the entry point (build/index.js).
    version = (
      JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    throw new BrowserNotFoundError(
      `no Chromium found: set CHROMIUM_PATH, put chromium on PATH, or install the devDependencies (npm ci) for ${PACKAGED_CHROMIUM}`,
    );
  }
  const { default: chromium } = (await import(pathToFileURL(entry).href)) as {
    default: { args: string[] };
  };
  // Per user: the staging folder is private (0700), so another account could not use this one.
  const cache = join(cacheRoot, `cx-surge-chromium-${version}-${process.getuid?.() ?? 'user'}`);
  const binary = join(cache, 'chromium');
  const complete = join(cache, '.complete');
  if (!existsSync(complete)) {
    const stage = mkdtempSync(`${cache}-stage-`);
    try {
      const script = `const { default: c } = await import(${JSON.stringify(pathToFileURL(entry).href)}); process.stdout.write(await c.executablePath());`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, TMPDIR: stage },
        timeout: 120_000,
      });
      if (stdout.trim() !== join(stage, 'chromium'))
        throw new Error(`${PACKAGED_CHROMIUM} extracted to ${stdout.trim()}, expected ${stage}`);
      writeFileSync(join(stage, '.complete'), version);
      try {
        renameSync(stage, cache);
      } catch (e) {
        // Another process renamed its complete copy first (ENOTEMPTY/EEXIST): use that one.
        if (!existsSync(complete)) throw e;
      }
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }
  return { executablePath: binary, args: chromium.args, source: '@sparticuz/chromium' } as const;
}

/**
 * Launches the resolved Chromium headless through playwright-core (a devDependency: tests, screenshots and
 * the drill's browser checks, never the Lambdas), so callers need not know where it came from.
 */
export async function launchBrowser(
  options: ResolveOptions = {},
): Promise<{ browser: import('playwright-core').Browser; resolved: ResolvedBrowser }> {
  const resolved = await resolveBrowser(options);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: resolved.executablePath,
    args: [...resolved.args],
    headless: true,
  });
  return { browser, resolved };
}
