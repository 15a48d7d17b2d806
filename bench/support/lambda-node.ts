// The Node.js major that Lambda runs our functions on (CONTROLLER_RUNTIME, nodejs24.x), for benches that
// time a cold load as deployed. The official binary is published on the npm registry as
// `node-<platform>-<arch>`, so `npm pack` fetches it like any dependency (no download from elsewhere, nothing
// installed by hand) into node_modules/.cache, once. It matters for the bundle bench: Node 20 reads and
// parses a bundle's source map when it loads the bundle under `--enable-source-maps`; Node 24 does so only
// when a stack trace is first mapped (docs/architecture.md#cold-start).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { CONTROLLER_RUNTIME } from '../../lib/controller-function';

/** The Node.js release the benches time Lambda's runtime with (the newest 24.x on the registry, 2026-12-01). */
export const LAMBDA_NODE_VERSION = '24.22.3';

export type LambdaNode =
  | { readonly path: string; readonly version: string }
  | { readonly unavailable: string };

/** Lambda's Node.js binary, fetched from the npm registry on first use; `unavailable` says why it is not. */
export function lambdaNode(root: string): LambdaNode {
  const runtimeMajor = /^nodejs(\d+)\.x$/.exec(CONTROLLER_RUNTIME.name)?.[1];
  if (runtimeMajor !== LAMBDA_NODE_VERSION.split('.')[0]) {
    return { unavailable: `LAMBDA_NODE_VERSION ${LAMBDA_NODE_VERSION} is not ${CONTROLLER_RUNTIME.name}` };
  }
  const dir = join(root, 'node_modules', '.cache', `lambda-node-${LAMBDA_NODE_VERSION}`);
  const path = join(dir, 'package', 'bin', 'node');
  try {
    if (!existsSync(path)) {
      mkdirSync(dir, { recursive: true });
      const pkg = `node-${platform()}-${arch()}@${LAMBDA_NODE_VERSION}`;
      execFileSync('npm', ['pack', pkg, '--pack-destination', dir, '--silent'], { stdio: 'pipe' });
      const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
      if (tarball === undefined) return { unavailable: `npm pack ${pkg} wrote no tarball` };
      execFileSync('tar', ['xzf', join(dir, tarball), '-C', dir]);
    }
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    return { path, version };
  } catch (e) {
    return {
      unavailable: `could not fetch Node ${LAMBDA_NODE_VERSION} from the npm registry: ${(e as Error).message.split('\n')[0]}`,
    };
  }
}
