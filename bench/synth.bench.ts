// `npm run bench synth`: times `npm run synth` (real esbuild bundling + cdk-nag + CloudFormation
// validation, offline) and prints each Lambda asset's size and how long a fresh Node process takes to
// load it as CommonJS (the part of a cold start the bundle controls). Reports, never asserts.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.SYNTH_BENCH_RUNS ?? 2);

function exec(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { ...options, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

interface LambdaAsset {
  readonly stack: string;
  readonly path: string;
  readonly dir: string;
}

/** Lambda functions in every template of the cloud assembly, with the asset directory of their code. */
function lambdaAssets(outdir: string): LambdaAsset[] {
  const found: LambdaAsset[] = [];
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    for (const resource of Object.values(template.Resources)) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || !assetPath) continue;
      found.push({
        stack: file.replace('.template.json', ''),
        path: resource.Metadata?.['aws:cdk:path'] ?? '?',
        dir: join(outdir, assetPath),
      });
    }
  }
  return found;
}

async function loadMs(assetDir: string): Promise<number> {
  // A copy outside the repo: no package.json "type": "module" above it, as in /var/task.
  const dir = mkdtempSync(join(tmpdir(), 'surge-asset-'));
  try {
    cpSync(assetDir, dir, { recursive: true });
    // The runtime-provided SDK clients resolve from the repo's node_modules, as from /var/runtime on Lambda.
    const out = await exec(
      process.execPath,
      [
        '-e',
        "const t=process.hrtime.bigint();require('./index.js');console.log(Number(process.hrtime.bigint()-t)/1e6)",
      ],
      { cwd: dir, env: { ...process.env, NODE_PATH: join(repoRoot, 'node_modules') } },
    );
    return Number(out.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const outdir = mkdtempSync(join(tmpdir(), 'surge-synth-'));
  try {
    const timings: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await exec('npm', ['run', '--silent', 'synth', '--', '--quiet', '-o', outdir], { cwd: repoRoot });
      timings.push(performance.now() - started);
    }
    console.log(
      `npm run synth (bundling + cdk-nag + CFN validation, offline): ${timings.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}`,
    );
    for (const asset of lambdaAssets(outdir)) {
      const files = readdirSync(asset.dir);
      const code = readFileSync(join(asset.dir, 'index.js'));
      const map = files.includes('index.js.map') ? statSync(join(asset.dir, 'index.js.map')).size : 0;
      const loads = [await loadMs(asset.dir), await loadMs(asset.dir), await loadMs(asset.dir)].sort(
        (a, b) => a - b,
      );
      console.log(
        `${asset.path}: index.js ${kb(code.length)} (gzip ${kb(gzipSync(code).length)}), source map ${kb(map)}, ` +
          `fresh-process load median ${loads[1]?.toFixed(0)} ms`,
      );
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
