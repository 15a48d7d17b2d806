// Config documents travel as files in the function's code package, not in env vars (4 KB for all of
// them together): docs/architecture.md#config-bundled-as-a-file. The CDK construct copies the validated
// file into the asset and names it in an env var; the handler reads it once per container.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../../core/errors';

/**
 * Text of the bundled file named by env var `envVar` (default `defaultName`), relative to the
 * function's code directory (LAMBDA_TASK_ROOT; the working directory elsewhere). A missing file is a
 * ConfigError naming the variable and the path.
 */
export function readBundledFile(
  envVar: string,
  defaultName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { readonly text: string; readonly name: string } {
  const name = env[envVar] || defaultName;
  const path = isAbsolute(name) ? name : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), name);
  try {
    return { text: readFileSync(path, 'utf8'), name };
  } catch (cause) {
    throw new ConfigError(envVar, `cannot read the config file ${path}`, { cause });
  }
}
