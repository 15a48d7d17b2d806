// `npm run bench bundle`: each Lambda bundle as the CDK construct builds it (esbuild CJS, minified, linked
// source map without sources, runtime SDK external, aliases, and the KeyValueStore client only where the
// config has a `cloudfront-kvs` actuator), its size, and its own load time above the SDK clients it needs.
//
// Own load, paired: fresh Node processes run with the functions' NODE_OPTIONS (`--enable-source-maps`,
// under which Node reads and parses the bundle's source map as it loads it) and alternate
//   A = require the SDK clients the function needs, then the bundle;
//   B = require those SDK clients alone;
// with the order flipped every other pair, and the figure is the median of A − B pair by pair, so drift in
// the machine's speed cancels. The clients "it needs" are declared per function below (what one ordinary
// invocation calls), not read from what the bundle happens to load: an SDK client the bundle loads at
// import without needing it is charged to the bundle. Each run is timed inside the process from the first
// require (Node's own start-up, the same for A and B, is left out). A third run per pair loads the bundle
// without `--enable-source-maps`, to show what the source map costs.
// Each figure is taken twice: on the Node.js major Lambda runs the functions on (nodejs24.x, fetched from the
// npm registry by bench/support/lambda-node.ts), the figure the target is about, and on this machine's Node,
// which reads and parses a source map at load where Node 24 defers it to the first mapped stack trace.
// Targets (issue 11): evaluate ≤ 600 KB, own load ≤ 40 ms. Reports figures; asserts nothing.
// BUNDLE_BENCH_PAIRS sets the number of pairs (default 21).
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  CONTROLLER_ESBUILD_OPTIONS,
  CONTROLLER_RUNTIME,
  GENESYS_SDK_FILE,
  genesysSdkBuildCommand,
  KVS_CLIENT_OFF,
  LAMBDA_ESBUILD_OPTIONS,
  LAMBDA_NODE_OPTIONS,
} from '../lib/controller-function';
import { lambdaNode } from './support/lambda-node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

const DYNAMODB = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'];
const BUNDLES = [
  // A quiet evaluation reads and writes DynamoDB only; Genesys and Secrets Manager load on a switch.
  // controller: built by ControllerFunction; sdkFile: the Genesys SDK in a file of its own beside it (GENESYS_SDK_FILE).
  { name: 'evaluate', entry: 'evaluate', kvs: false, controller: true, sdkFile: true, needs: DYNAMODB },
  {
    name: 'evaluate (config with a cloudfront-kvs actuator)',
    entry: 'evaluate',
    kvs: true,
    controller: true,
    sdkFile: true,
    needs: DYNAMODB,
  },
  // Every tick: DynamoDB, the Genesys token (Secrets Manager) and PutEvents.
  {
    name: 'poll-observations',
    entry: 'poll-observations',
    kvs: false,
    controller: true,
    sdkFile: true,
    needs: [...DYNAMODB, '@aws-sdk/client-secrets-manager', '@aws-sdk/client-eventbridge'],
  },
  {
    name: 'send-pages',
    entry: 'send-pages',
    kvs: false,
    controller: true,
    // Never calls Genesys: no SDK file beside it (ControllerFunctionProps.callsGenesys).
    sdkFile: false,
    needs: [...DYNAMODB, '@aws-sdk/client-sns', '@aws-sdk/client-secrets-manager'],
  },
  {
    name: 'crm-lookup',
    entry: 'crm-lookup',
    kvs: false,
    controller: false,
    sdkFile: false,
    needs: [...DYNAMODB, '@aws-sdk/client-secrets-manager'],
  },
] as const;

/** ms a fresh `node` process takes to require `modules` in order (timed inside it, from the first require). */
function loadMs(
  node: string,
  modules: readonly string[],
  cwd: string,
  nodeOptions: readonly string[],
): number {
  const script = `const t=process.hrtime.bigint();for(const m of ${JSON.stringify(modules)})require(m);console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  return Number(execFileSync(node, [...nodeOptions, '-e', script], { cwd, encoding: 'utf8' }).trim());
}

interface OwnLoad {
  /** Median of (SDK clients + bundle) − (SDK clients alone), pair by pair, under LAMBDA_NODE_OPTIONS. */
  readonly own: number;
  /** The same without LAMBDA_NODE_OPTIONS (no source map read). */
  readonly ownWithoutMaps: number;
  readonly withBundle: number;
  readonly sdkAlone: number;
}

/** A bundle's own load on `node`: `pairs` paired fresh processes, order flipped every other pair. */
function ownLoad(
  node: string,
  needs: readonly string[],
  bundle: string,
  cwd: string,
  pairs: number,
): OwnLoad {
  const deployed = LAMBDA_NODE_OPTIONS.split(' ');
  const withBundle: number[] = [];
  const sdkAlone: number[] = [];
  const own: number[] = [];
  const ownWithoutMaps: number[] = [];
  const loadBoth = () => loadMs(node, [...needs, bundle], cwd, deployed);
  const loadSdk = () => loadMs(node, needs, cwd, deployed);
  loadBoth(); // warm the file cache
  for (let i = 0; i < pairs; i++) {
    // Flip the order every other pair so that neither side always runs first.
    let a: number;
    let s: number;
    if (i % 2 === 0) {
      a = loadBoth();
      s = loadSdk();
    } else {
      s = loadSdk();
      a = loadBoth();
    }
    withBundle.push(a);
    sdkAlone.push(s);
    own.push(a - s);
    ownWithoutMaps.push(loadMs(node, [...needs, bundle], cwd, []) - s);
  }
  return {
    own: median(own),
    ownWithoutMaps: median(ownWithoutMaps),
    withBundle: median(withBundle),
    sdkAlone: median(sdkAlone),
  };
}

/** The runtime-provided SDK packages a bundle loads at require time (what Lambda loads from /var/runtime). */
function sdkLoadedBy(bundle: string, cwd: string): string[] {
  const script = `require(${JSON.stringify(bundle)});const seen=new Set();for(const k of Object.keys(require.cache)){const m=/node_modules[\\\\/](@aws-sdk[\\\\/][^\\\\/]+)/.exec(k);if(m&&!k.includes('.cache'))seen.add(m[1].replace('\\\\','/'))}console.log(JSON.stringify([...seen].filter(p=>/client-|lib-dynamodb/.test(p))))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' }).trim());
}

export async function run(): Promise<void> {
  const pairs = Number(process.env.BUNDLE_BENCH_PAIRS ?? 21);
  const lambda = lambdaNode(root);
  const nodes = [
    ...('path' in lambda
      ? [{ label: `Node ${lambda.version} (Lambda's ${CONTROLLER_RUNTIME.name})`, path: lambda.path }]
      : []),
    { label: `this machine's Node ${process.version}`, path: process.execPath },
  ];
  if ('unavailable' in lambda) console.log(`  Lambda's Node not measured: ${lambda.unavailable}`);
  // Inside the project, so the runtime-provided SDK clients resolve from node_modules as on Lambda.
  const dir = join(root, 'node_modules', '.cache', `surge-bundle-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  console.log(
    `Lambda bundles as the construct builds them; own load = median over ${pairs} ` +
      `pairs of (SDK clients it needs + bundle) − (those SDK clients alone), fresh processes with ${LAMBDA_NODE_OPTIONS}`,
  );
  try {
    for (const b of BUNDLES) {
      const outfile = join(dir, `${b.entry}${b.kvs ? '-kvs' : ''}.cjs`);
      await build({
        ...(b.controller ? CONTROLLER_ESBUILD_OPTIONS : LAMBDA_ESBUILD_OPTIONS),
        ...(b.kvs ? {} : { define: KVS_CLIENT_OFF }),
        entryPoints: [join(root, `lambdas/handlers/${b.entry}.ts`)],
        outfile,
      });
      if (b.sdkFile) execSync(genesysSdkBuildCommand(dir));
      const unneeded = sdkLoadedBy(outfile, dir).filter((p) => !(b.needs as readonly string[]).includes(p));
      const figures = nodes.map((n) => ({ n, load: ownLoad(n.path, b.needs, outfile, dir, pairs) }));
      console.log(
        `  ${b.name}: ${kb(statSync(outfile).size)} (${statSync(outfile).size.toLocaleString('en')} B, map ` +
          `${kb(statSync(`${outfile}.map`).size)})` +
          (b.sdkFile
            ? `; ${GENESYS_SDK_FILE} beside it ${kb(statSync(join(dir, GENESYS_SDK_FILE)).size)}`
            : '') +
          (unneeded.length > 0 ? `; loads at import without needing: ${unneeded.join(', ')}` : ''),
      );
      for (const { n, load } of figures) {
        console.log(
          `    own load on ${n.label}: ${load.own.toFixed(0)} ms ` +
            `(${load.ownWithoutMaps.toFixed(0)} ms without ${LAMBDA_NODE_OPTIONS})  ` +
            `[SDK clients + bundle ${load.withBundle.toFixed(0)} ms, SDK clients alone ${load.sdkAlone.toFixed(0)} ms: ` +
            `${b.needs.join(', ')}]`,
        );
      }
    }
    console.log('  targets: evaluate ≤ 600 KB (614,400 B), own load ≤ 40 ms above the SDK clients it needs');
    console.log(
      `  1-min load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores: load times stretch with it`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
