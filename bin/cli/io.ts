// Small helpers shared by the CLI commands: one kind of bad-input error, file reading, argument parsing.
import { readFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ScenarioError } from '../../drill/scenario';
import { ConfigError } from '../../lambdas/core/errors';

/** Bad command-line input: one line on stderr, exit 2. */
export class UsageError extends Error {}

/** Input the user can fix (arguments, config, scenario): reported in one line with exit code 2. */
export const isInputError = (e: unknown): e is Error =>
  e instanceof UsageError || e instanceof ScenarioError || e instanceof ConfigError;

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
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
