// Small helpers shared by the CLI commands: one kind of bad-input error, file reading, argument parsing.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ScenarioError } from '../../drill/scenario';
import type { SurgeConfig } from '../../lambdas/core/config';
import { deployRefusals, type EdgeFlag, edgeRefusals } from '../../lambdas/core/deploy-checks';
import { ConfigError } from '../../lambdas/core/errors';
import { EDGE_DEFAULTS } from '../../lambdas/edge/edge-config';

/** Bad command-line input: one line on stderr, exit 2. */
export class UsageError extends Error {}

/** Input the user can fix (arguments, config, scenario): reported in one line with exit code 2. */
export const isInputError = (e: unknown): e is Error =>
  e instanceof UsageError || e instanceof ScenarioError || e instanceof ConfigError;

const cannotRead = (path: string, e: unknown): UsageError => {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
  return new UsageError(`cannot read ${path}: ${why}`);
};

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw cannotRead(path, e);
  }
}

/** Size of the pieces a file is read in: big enough to keep per-chunk costs invisible, small enough to stay flat. */
const READ_CHUNK_BYTES = 1 << 20;

/**
 * A file's bytes in chunks, read one at a time. A file that cannot be read is a UsageError; errors
 * of the consumer pass through untouched.
 */
export async function* readChunks(path: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  const chunks = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (e) {
        throw cannotRead(path, e);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    stream.destroy();
  }
}

/** Writes text pieces to stdout in ~1 MiB batches, waiting when the pipe is full. */
export async function writeChunks(pieces: Iterable<string>, separator = ''): Promise<void> {
  let batch = '';
  const flush = async (): Promise<void> => {
    const ok = process.stdout.write(batch);
    batch = '';
    if (!ok) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  };
  for (const piece of pieces) {
    batch += piece + separator;
    if (batch.length >= READ_CHUNK_BYTES) await flush();
  }
  if (batch.length > 0) await flush();
}

/** `parseArgs` in strict mode; a mistake becomes a UsageError that points at `cx-surge <command> --help`. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (cx-surge ${command} --help for options)`);
  }
}

/** Fails before a long run if `path` cannot be written (a missing folder, no permission): one line, exit 2. */
export async function checkWritable(flag: string, path: string): Promise<void> {
  const { access, open, unlink } = await import('node:fs/promises');
  const existed = await access(path).then(
    () => true,
    () => false,
  );
  try {
    const handle = await open(path, 'a');
    await handle.close();
    if (!existed) await unlink(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such folder'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (e as Error).message;
    throw new UsageError(`${flag}: cannot write ${path}: ${why}`);
  }
}

/**
 * Config entries that name queues the scenario never mentions: almost always a typo or the wrong file,
 * and otherwise silently ignored. One warning line each (stderr; the run goes on).
 */
export function unmatchedQueueWarnings(
  config: {
    queues: readonly { id: string }[];
    actuators: readonly { id: string; queues: readonly string[] }[];
  },
  scenarioQueues: Iterable<string>,
): string[] {
  const seen = new Set(scenarioQueues);
  const warnings: string[] = [];
  for (const q of config.queues) {
    if (!seen.has(q.id)) warnings.push(`config queue '${q.id}' does not appear in the scenario`);
  }
  for (const a of config.actuators) {
    for (const q of a.queues) {
      if (q !== '*' && !seen.has(q))
        warnings.push(`actuator '${a.id}' covers queue '${q}', which does not appear in the scenario`);
    }
  }
  return warnings;
}

/** The Tier 3 flag the CLI app's edge (`-c edge=true`) reads: lib/edge's defaults. */
export const CLI_EDGE_FLAG: EdgeFlag = {
  key: EDGE_DEFAULTS.flagKey,
  activeValue: EDGE_DEFAULTS.flagOnValue,
  inactiveValue: EDGE_DEFAULTS.flagOffValue,
};

/**
 * What `cdk synth` would refuse in a config replay and drill run happily (an interval EventBridge cannot
 * schedule, a `cloudfront-kvs` actuator needing the edge or not writing its flag): one line each, in
 * synth's own words (lambdas/core/deploy-checks.ts), so it is found before deploy day.
 */
export function synthWarnings(config: SurgeConfig): string[] {
  const refusals = [
    ...deployRefusals(config, undefined),
    ...edgeRefusals(config.actuators, { flag: CLI_EDGE_FLAG }),
  ];
  return refusals.map((e) => `synth would refuse this config: ${e.message}`);
}
