// The CDK app as `cdk synth` runs it (a child process reading context from CDK_CONTEXT_JSON, the way
// the CLI passes it), with bundling skipped: config file → stack → cdk-nag report, and a bad config
// ending in one clear line instead of a stack trace.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_FILE_NAME, EnvVar } from '../../lambdas/adapters/telemetry-names';
import { parseConfig } from '../../lambdas/core/config';
import { deployRefusals } from '../../lambdas/core/deploy-checks';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number;
  stderr: string;
}

function runApp(context: Record<string, unknown>, outdir: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bin/app.ts'],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
        },
        timeout: 110_000, // synth with cdk-nag takes 60 s+ on 2 shared cores; the vitest timeout is 120 s
      },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

describe('bin/app.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'surge-app-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('synthesizes the stack from a config file and passes cdk-nag', async () => {
    // Prepare
    const configPath = join(dir, 'surge.config.json');
    writeFileSync(configPath, JSON.stringify({ queues: [{ id: 'q-sales', name: 'Sales' }] }));
    const outdir = join(dir, 'out-ok');
    // Act
    const run = await runApp(
      { config: configPath, stackName: 'SurgeTest', alertEmail: 'ops@example.com' },
      outdir,
    );
    // Assess
    expect(run.stderr).not.toMatch(/AwsSolutions-/);
    expect(run.code).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'SurgeTest.template.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<
        string,
        { Type: string; Properties: { Environment: { Variables: Record<string, string> } } }
      >,
    ).filter((r) => r.Type === 'AWS::Lambda::Function');
    // poll-observations and evaluate read the config from a file bundled with them; the page sender
    // (docs/resilience.md) never reads it. No function carries the config in its environment.
    expect(functions).toHaveLength(3);
    const withConfig = functions.filter((fn) => fn.Properties.Environment.Variables[EnvVar.SurgeConfigFile]);
    expect(withConfig.map((fn) => fn.Properties.Environment.Variables[EnvVar.SurgeConfigFile])).toEqual([
      CONFIG_FILE_NAME,
      CONFIG_FILE_NAME,
    ]);
    expect(JSON.stringify(functions)).not.toContain('q-sales');
    // The staged file (bundling copies it into each asset) is the validated config as compact JSON.
    const staged = readdirSync(join(outdir, 'surge-config')).map((f) =>
      JSON.parse(readFileSync(join(outdir, 'surge-config', f), 'utf8')),
    );
    expect(staged).toEqual([{ queues: [{ id: 'q-sales', name: 'Sales' }] }]);
  });

  it('stops on a bad config with the CLI’s message and writes no template', async () => {
    // Prepare
    const bad = { tiers: { tier1: { restore: { waitingBelow: 80 } } } };
    const expected = (() => {
      try {
        parseConfig(bad);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('config was expected to be invalid');
    })();
    const configPath = join(dir, 'bad.config.json');
    writeFileSync(configPath, JSON.stringify(bad));
    const outdir = join(dir, 'out-bad');
    // Act
    const run = await runApp({ config: configPath }, outdir);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cx-surge-controller: invalid configuration: ${expected}`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(outdir, 'CxSurgeController.template.json'))).toBe(false);
  });

  it.each([
    ['intervalSeconds not a multiple of 60', { intervalSeconds: 90 }, {}],
    [
      'a cloudfront-kvs actuator without the edge',
      {
        actuators: [
          {
            id: 'widget',
            tier: 3,
            type: 'cloudfront-kvs',
            queues: ['*'],
            key: 'chat-widget-throttle',
            activeValue: 'on',
            inactiveValue: 'off',
          },
        ],
      },
      {},
    ],
  ])(
    'refuses %s with exactly the line replay and drill warn with, and no stack trace',
    async (_name, input, context) => {
      // Prepare
      const configPath = join(dir, 'refused.config.json');
      writeFileSync(configPath, JSON.stringify(input));
      const [refusal] = deployRefusals(parseConfig(input), undefined);
      // Act
      const run = await runApp({ config: configPath, ...context }, join(dir, 'out-refused'));
      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`cx-surge-controller: invalid configuration: ${refusal?.message}\n`);
    },
  );
});
