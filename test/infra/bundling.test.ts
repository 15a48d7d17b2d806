// The Lambda bundle settings, exercised for real with esbuild (no CDK, no network): a CJS bundle with
// the runtime-provided SDK clients external must still sign CloudFront KeyValueStore calls with SigV4A.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KVS_CLIENT_OFF, LAMBDA_ESBUILD_OPTIONS } from '../../lib/controller-function';

const probe = fileURLToPath(new URL('./fixtures/kvs-signing-probe.ts', import.meta.url));
const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/0b2f4ac1-1111-4222-8333-944455556666';

function runCjs(dir: string, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // cwd is a temp dir without package.json, as /var/task: index.js loads as CommonJS.
    execFile(process.execPath, ['-e', script], { cwd: dir, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

describe('Lambda bundle', () => {
  let dir: string;
  let external: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'surge-bundle-'));
    const result = await build({
      ...LAMBDA_ESBUILD_OPTIONS,
      entryPoints: [probe],
      outfile: join(dir, 'index.js'),
      metafile: true,
    });
    external = Object.values(result.metafile.outputs)
      .flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path))
      .filter((p) => p.startsWith('@aws-sdk/'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles the KeyValueStore client and its signer instead of taking them from the runtime', () => {
    expect(external).toEqual([]);
  });

  it('signs KeyValueStore calls with SigV4A inside the CJS bundle', async () => {
    const authorization = await runCjs(
      dir,
      `require('./index.js').authorizationOfDescribe(${JSON.stringify(KVS_ARN)}).then((a) => console.log(a))`,
    );
    expect(authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE\//);
  });
});

describe('the evaluate bundle', () => {
  const evaluate = fileURLToPath(new URL('../../lambdas/handlers/evaluate.ts', import.meta.url));
  const bundle = async (define?: Readonly<Record<string, string>>) =>
    (
      await build({
        ...LAMBDA_ESBUILD_OPTIONS,
        ...(define ? { define: { ...define } } : {}),
        entryPoints: [evaluate],
        outfile: 'evaluate.js',
        write: false,
        metafile: true,
      })
    ).metafile.inputs;

  it('leaves out the KeyValueStore client and SigV4A when the config has no cloudfront-kvs actuator', async () => {
    const inputs = Object.keys(await bundle(KVS_CLIENT_OFF));
    expect(inputs.some((f) => f.includes('client-cloudfront-keyvaluestore'))).toBe(false);
    expect(inputs.some((f) => f.includes('signature-v4a'))).toBe(false);
    // The Genesys adapter is still there (loaded on first switch).
    expect(inputs.some((f) => f.includes('purecloud-platform-client-v2'))).toBe(true);
  });

  it('keeps them for a config with a cloudfront-kvs actuator', async () => {
    const inputs = Object.keys(await bundle());
    expect(inputs.some((f) => f.includes('client-cloudfront-keyvaluestore'))).toBe(true);
    expect(inputs.some((f) => f.includes('signature-v4a'))).toBe(true);
  });
});
