// Small helpers shared by the CLI commands.
import { readFile } from 'node:fs/promises';

/** Bad command-line input: one line on stderr, exit 2. */
export class UsageError extends Error {}

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
