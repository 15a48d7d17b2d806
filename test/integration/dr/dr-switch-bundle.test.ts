// dr-switch as the Lambda ships it: the CJS bundle with the DR config compiled in (esbuild define, as
// lib/dr-switch.ts bundles it), the AWS SDK from the runtime. It loads, refuses a bad event, and answers a
// plan from the state table on dynalite, reporting unreachable orgs when Secrets Manager cannot be read.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillDrConfig } from '../../../drill/dr-stand-ins';
import { type LocalDynamo, startLocalDynamo } from '../../../drill/local-dynamo';
import { LAMBDA_ESBUILD_OPTIONS } from '../../../lib/controller-function';
import { DR_SWITCH_ENTRY } from '../../../lib/dr-switch';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const config = drillDrConfig({ dids: 3, ivrs: 1 });

describe('the bundled dr-switch Lambda', () => {
  let dir: string;
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'surge-dr-bundle-'));
    await build({
      ...LAMBDA_ESBUILD_OPTIONS,
      entryPoints: [DR_SWITCH_ENTRY],
      outfile: join(dir, 'index.js'),
      define: { 'process.env.SURGE_DR_CONFIG': JSON.stringify(JSON.stringify(config)) },
    });
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const invoke = (event: unknown): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const script = `require('./index.js').handler(${JSON.stringify(event)}).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
      execFile(
        process.execPath,
        ['-e', script],
        {
          cwd: dir,
          timeout: 60_000,
          env: {
            PATH: process.env.PATH ?? '',
            NODE_PATH: join(repoRoot, 'node_modules'),
            STATE_TABLE_NAME: dynamo.tableName,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'local',
            AWS_SECRET_ACCESS_KEY: 'local',
            AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
            AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
            AWS_MAX_ATTEMPTS: '1',
          },
        },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`${error.message}\n${stderr}`))
            : resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}')),
      );
    });

  it('refuses an unknown action without touching anything', async () => {
    const result = await invoke({ action: 'teleport' });
    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/^event\.action: /);
  });

  it('answers status from the state table with the compiled-in config (3 DIDs)', async () => {
    const result = await invoke({ action: 'status' });
    expect(result).toMatchObject({
      outcome: 'report',
      report: { state: { state: 'NORMAL' }, dids: 3, runs: [] },
    });
  });

  it('plans with both orgs unreachable when their secrets cannot be read: blocked, named', async () => {
    const result = (await invoke({ action: 'plan', mode: 'all' })) as {
      report: { status: string; assertions: { code: string; ok: boolean; message: string }[] };
    };
    expect(result.report.status).toBe('blocked');
    const failed = result.report.assertions.filter((a) => !a.ok).map((a) => a.code);
    expect(failed).toEqual(['backup-org-reachable', 'primary-org-reachable']);
    expect(result.report.assertions.find((a) => a.code === 'backup-org-reachable')?.message).toMatch(
      /drill\/backup-bg/,
    );
  });
});
