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
