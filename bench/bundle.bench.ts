// `npm run bench bundle`: each Lambda bundle as the CDK construct builds it (esbuild CJS, minified,
// runtime SDK external, aliases, and the KeyValueStore client only where the config has a
// `cloudfront-kvs` actuator), its size, and its own load time above the runtime SDK clients it loads.
// The load is paired: fresh processes alternate A (the SDK clients the bundle loads at require time,
// then the bundle) and B (those SDK clients alone), and the figure is the median of A − B pair by pair,
// so drift in the machine's speed cancels. Targets (issue 11): evaluate ≤ 600 KB, own load ≤ 40 ms.
// Reports figures; asserts nothing. BUNDLE_BENCH_PAIRS sets the number of pairs (default 15).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { KVS_CLIENT_OFF, LAMBDA_ESBUILD_OPTIONS } from '../lib/controller-function';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

const BUNDLES = [
  { name: 'evaluate', entry: 'evaluate', kvs: false },
  { name: 'evaluate (config with a cloudfront-kvs actuator)', entry: 'evaluate', kvs: true },
  { name: 'poll-observations', entry: 'poll-observations', kvs: false },
  { name: 'send-pages', entry: 'send-pages', kvs: false },
  { name: 'crm-lookup', entry: 'crm-lookup', kvs: false },
] as const;

/** ms a fresh Node process takes to require `modules` in order (timed inside it, from the first require). */
function loadMs(modules: readonly string[], cwd: string): number {
  const script = `const t=process.hrtime.bigint();for(const m of ${JSON.stringify(modules)})require(m);console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  return Number(execFileSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' }).trim());
}

/** The runtime-provided SDK packages a bundle loads at require time (what Lambda loads from /var/runtime). */
function sdkLoadedBy(bundle: string, cwd: string): string[] {
  const script = `require(${JSON.stringify(bundle)});const seen=new Set();for(const k of Object.keys(require.cache)){const m=/node_modules[\\\\/](@aws-sdk[\\\\/][^\\\\/]+)/.exec(k);if(m&&!k.includes('.cache'))seen.add(m[1].replace('\\\\','/'))}console.log(JSON.stringify([...seen].filter(p=>/client-|lib-dynamodb/.test(p))))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' }).trim());
}

export async function run(): Promise<void> {
  const pairs = Number(process.env.BUNDLE_BENCH_PAIRS ?? 15);
  // Inside the project, so the runtime-provided SDK clients resolve from node_modules as on Lambda.
  const dir = join(root, 'node_modules', '.cache', `surge-bundle-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  console.log(
    `Lambda bundles as the construct builds them; own load = median over ${pairs} pairs of ` +
      '(SDK clients + bundle) − (SDK clients alone), fresh processes, timed from the first require',
  );
  try {
    for (const b of BUNDLES) {
      const outfile = join(dir, `${b.entry}${b.kvs ? '-kvs' : ''}.cjs`);
      await build({
        ...LAMBDA_ESBUILD_OPTIONS,
        ...(b.kvs ? {} : { define: KVS_CLIENT_OFF }),
        entryPoints: [join(root, `lambdas/handlers/${b.entry}.ts`)],
        outfile,
      });
      const sdk = sdkLoadedBy(outfile, dir);
      const withBundle: number[] = [];
      const sdkAlone: number[] = [];
      const diffs: number[] = [];
      loadMs([...sdk, outfile], dir); // warm the file cache
      for (let i = 0; i < pairs; i++) {
        const a = loadMs([...sdk, outfile], dir);
        const s = loadMs(sdk, dir);
        withBundle.push(a);
        sdkAlone.push(s);
        diffs.push(a - s);
      }
      console.log(
        `  ${b.name}: ${kb(statSync(outfile).size)} (${statSync(outfile).size.toLocaleString('en')} B); ` +
          `own load ${median(diffs).toFixed(0)} ms  [SDK clients + bundle ${median(withBundle).toFixed(0)} ms, ` +
          `SDK clients alone ${median(sdkAlone).toFixed(0)} ms: ${sdk.join(', ') || 'none'}]`,
      );
    }
    console.log('  targets: evaluate ≤ 600 KB (614,400 B), own load ≤ 40 ms above the SDK clients it needs');
    console.log(
      `  1-min load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores: load times stretch with it`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
