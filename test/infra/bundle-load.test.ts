// What a Lambda bundle does when it is loaded, before its first invocation: the very bundle the construct
// builds (every function of ours), required in a fresh Node process that counts zod schemas as they are built (zod's constructor
// defines `_zod` on every schema instance) and the Powertools settings read from the environment (the
// Logger and Metrics constructors read them). Loading must build neither; the first invocation builds
// what it uses and fails a bad event with the same message as before (docs/architecture.md#cold-start).
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROLLER_ESBUILD_OPTIONS,
  ControllerFunction,
  GENESYS_SDK_IMPORT,
  KVS_CLIENT_OFF,
  LAMBDA_ESBUILD_OPTIONS,
} from '../../lib/controller-function';
import { buildStack } from './support';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
// Inside the project, so the runtime-provided SDK clients resolve from node_modules as on Lambda.
const dir = join(root, 'node_modules', '.cache', `surge-bundle-load-${process.pid}`);

interface LoadProbe {
  readonly atLoad: { readonly schemas: number; readonly powertoolsSettings: readonly string[] };
  readonly afterFirstInvocation: {
    readonly schemas: number;
    readonly powertoolsSettings: readonly string[];
    /** The handler's rejection, or its answer when it answers instead (crm-lookup always answers). */
    readonly error?: string;
    readonly answer?: unknown;
  };
}

/** Loads `bundle` in a fresh process, then invokes its handler once with `event`. */
function probeLoad(bundle: string, event: unknown): Promise<LoadProbe> {
  const script = `
    let schemas = 0;
    const define = Object.defineProperty;
    Object.defineProperty = function (o, k, d) { if (k === '_zod') schemas++; return define.call(this, o, k, d); };
    const read = new Set();
    process.env = new Proxy(process.env, { get: (t, k) => { if (typeof k === 'string') read.add(k); return Reflect.get(t, k); } });
    const settings = () => [...read].filter((k) => k.startsWith('POWERTOOLS_')).sort();
    const { handler } = require(${JSON.stringify(bundle)});
    const atLoad = { schemas, powertoolsSettings: settings() };
    const report = (outcome) => process.stdout.write('\\n' + JSON.stringify({ atLoad, afterFirstInvocation: { schemas, powertoolsSettings: settings(), ...outcome } }));
    handler(${JSON.stringify(event)}, { awsRequestId: 'req-1' }).then((answer) => report({ answer }), (e) => report({ error: e.message }));`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' }, timeout: 30_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout.split('\n').pop() ?? 'null') as LoadProbe),
    );
  });
}

describe('loading the evaluate bundle', () => {
  let bundle: string;
  let inputs: string[];
  let external: string[];
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    bundle = join(dir, 'evaluate.cjs');
    // Deliberately without the Genesys SDK file beside it: loading must not need it.
    const result = await build({
      ...CONTROLLER_ESBUILD_OPTIONS,
      define: { ...KVS_CLIENT_OFF },
      entryPoints: [join(root, 'lambdas/handlers/evaluate.ts')],
      outfile: bundle,
      metafile: true,
    });
    inputs = Object.keys(result.metafile.inputs);
    external = Object.values(result.metafile.outputs).flatMap((o) =>
      o.imports.filter((i) => i.external).map((i) => i.path),
    );
  });

  it('leaves the Genesys SDK and axios to the file loaded on the first Genesys call', () => {
    expect(inputs.filter((f) => /node_modules\/(purecloud-platform-client-v2|axios)\//.test(f))).toEqual([]);
    expect(external).toContain(GENESYS_SDK_IMPORT);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds no zod schema and constructs no Powertools logger or metrics until the first invocation', async () => {
    const probe = await probeLoad(bundle, { source: 'cx-surge', detail: {} });

    expect(probe.atLoad).toEqual({ schemas: 0, powertoolsSettings: [] });
    // The first invocation builds what it uses (so the probe does see schemas and settings)...
    expect(probe.afterFirstInvocation.schemas).toBeGreaterThan(0);
    // The Logger logs the failure (Metrics, holding nothing, need not be constructed at all).
    expect(probe.afterFirstInvocation.powertoolsSettings).toEqual(
      expect.arrayContaining(['POWERTOOLS_LOG_LEVEL']),
    );
    // ...and a bad event still fails with the field named.
    expect(probe.afterFirstInvocation.error).toBe(
      'not an EventBridge event: event.detail-type: Invalid input: expected string, received undefined',
    );
  });
});

describe('loading the other functions', () => {
  beforeAll(() => mkdirSync(dir, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Built as their constructs build them: poll-observations and send-pages by ControllerFunction (the
  // Genesys SDK in a file of its own), crm-lookup and dr-switch by their own constructs (BASE_BUNDLING).
  const functions = [
    { entry: 'poll-observations', options: CONTROLLER_ESBUILD_OPTIONS },
    { entry: 'send-pages', options: CONTROLLER_ESBUILD_OPTIONS },
    { entry: 'crm-lookup', options: LAMBDA_ESBUILD_OPTIONS },
    { entry: 'dr-switch', options: LAMBDA_ESBUILD_OPTIONS },
  ] as const;

  it.each(functions)(
    '$entry builds no zod schema and reads no Powertools setting at load',
    async ({ entry, options }) => {
      const bundle = join(dir, `${entry}.cjs`);
      await build({
        ...options,
        define: { ...KVS_CLIENT_OFF },
        entryPoints: [join(root, `lambdas/handlers/${entry}.ts`)],
        outfile: bundle,
      });
      // An event none of them accepts; without their environment each fails or refuses on its first call.
      const probe = await probeLoad(bundle, { bogus: true });

      expect(probe.atLoad).toEqual({ schemas: 0, powertoolsSettings: [] });
      expect(probe.afterFirstInvocation.error ?? probe.afterFirstInvocation.answer).toBeDefined();
    },
  );

  it('crm-lookup builds its schemas on the first lookup and still answers a bad event with its contract', async () => {
    const bundle = join(dir, 'crm-lookup-first.cjs');
    await build({
      ...LAMBDA_ESBUILD_OPTIONS,
      entryPoints: [join(root, 'lambdas/handlers/crm-lookup.ts')],
      outfile: bundle,
    });
    const probe = await probeLoad(bundle, { customerId: 'x'.repeat(300) });

    expect(probe.atLoad.schemas).toBe(0);
    expect(probe.afterFirstInvocation.schemas).toBeGreaterThan(0);
    // A customer id over 256 characters fails the input schema: no key, so the contract's 400 answer.
    expect(probe.afterFirstInvocation.answer).toMatchObject({
      found: false,
      source: 'none',
      errorStatus: 400,
    });
  });
});

describe('the Genesys SDK file in each controller function', () => {
  beforeAll(() => mkdirSync(dir, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships beside exactly the handlers whose bundle requires it', async () => {
    const { stack } = buildStack();
    const functions = stack.node
      .findAll()
      .filter((c): c is ControllerFunction => c instanceof ControllerFunction);
    const byEntry = new Map<string, { ships: boolean; requires: boolean }>();
    for (const f of functions) {
      const result = await build({
        ...CONTROLLER_ESBUILD_OPTIONS,
        define: { ...KVS_CLIENT_OFF },
        entryPoints: [f.entry],
        outfile: join(dir, `${f.node.id}.cjs`),
        metafile: true,
      });
      const requires = Object.values(result.metafile.outputs).some((o) =>
        o.imports.some((i) => i.external && i.path === GENESYS_SDK_IMPORT),
      );
      byEntry.set(basename(f.entry, '.ts'), { ships: f.shipsGenesysSdk, requires });
    }

    // The poller and evaluate call Genesys; send-pages never does, so its asset carries no SDK file.
    expect(Object.fromEntries(byEntry)).toEqual({
      'poll-observations': { ships: true, requires: true },
      evaluate: { ships: true, requires: true },
      'send-pages': { ships: false, requires: false },
    });
  });
});
