// The evaluate Lambda exactly as CDK bundles it (CJS, minified, runtime SDK external, aliases), loaded
// in a fresh Node process with the construct's environment variables and DynamoDB pointed at dynalite.
// An observation that changes no tier needs neither Genesys nor Secrets Manager: they load lazily.
import { execFile, execSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoPersistence } from '../../../lambdas/adapters/dynamodb';
import {
  CONTROLLER_ESBUILD_OPTIONS,
  genesysSdkBuildCommand,
  KVS_CLIENT_OFF,
} from '../../../lib/controller-function';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';
import { observation, observationEvent, T0 } from './harness';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
// Inside the project, so the runtime-provided SDK clients resolve from node_modules as on Lambda.
const dir = join(root, 'node_modules', '.cache', `surge-bundled-handler-${process.pid}`);

function invoke(event: unknown, env: Record<string, string>): Promise<unknown> {
  const script = `require('./evaluate.cjs').handler(${JSON.stringify(event)}, { awsRequestId: 'req-1' })
    .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(3); })`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout.split('\n').pop() ?? 'null')),
    );
  });
}

describe('the bundled evaluate Lambda', () => {
  let dynamo: LocalDynamo;
  let env: Record<string, string>;
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    // The config below has no cloudfront-kvs actuator, so the construct leaves the KeyValueStore client out.
    await build({
      ...CONTROLLER_ESBUILD_OPTIONS,
      define: { ...KVS_CLIENT_OFF },
      entryPoints: [join(root, 'lambdas/handlers/evaluate.ts')],
      outfile: join(dir, 'evaluate.cjs'),
    });
    execSync(genesysSdkBuildCommand(dir));
    writeFileSync(join(dir, 'surge-config.json'), '{}');
    writeFileSync(
      join(dir, 'bad-config.json'),
      JSON.stringify({ tiers: { tier1: { restore: { waitingBelow: 99 } } } }),
    );
    dynamo = await startLocalDynamo();
    env = {
      STATE_TABLE_NAME: dynamo.tableName,
      PAGER_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:surge-pages',
      SURGE_CONFIG_FILE: 'surge-config.json',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
  });
  afterAll(async () => {
    await dynamo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates an observation from its environment alone and stores the queue state', async () => {
    const result = await invoke(observationEvent(observation(T0, 12, 'q-bundle')), env);

    expect(result).toMatchObject({ kind: 'observation', outcome: 'accepted' });
    const stored = await createDynamoPersistence({
      client: dynamo.client,
      tableName: dynamo.tableName,
    }).queues.load('q-bundle');
    expect(stored).toMatchObject({ queueId: 'q-bundle', version: 1 });
  });

  it('fails the invocation with a message naming a bad key of the bundled config file, so the deploy shows it', async () => {
    const bad = {
      ...env,
      SURGE_CONFIG_FILE: 'bad-config.json',
    };

    await expect(invoke(observationEvent(observation(T0, 12, 'q-bad')), bad)).rejects.toThrow(
      'tiers.tier1.restore.waitingBelow',
    );
  });
});
