// `cx-surge dr plan|failover|failback|resume|status|readiness|drill`: the DR switchover (docs/dr.md).
// Runs here with your AWS credentials (default chain), or in the deployed dr-switch Lambda with
// `--via-lambda FUNCTION` so a switch survives your laptop. `drill` runs on local stand-ins only.
import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { drDrillJson, renderDrDrillText, runDrDrill } from '../../drill/dr-drill';
import { LocalSecretsFileCredentialsSource } from '../../lambdas/adapters/local';
import type { DrStatusReport, ReadinessReport } from '../../lambdas/app/dr-switchover';
import { parseDrConfigText } from '../../lambdas/core/dr-config';
import { DR_MODES, type DrMode, type DrRunReport } from '../../lambdas/core/dr-plan';
import { awsDrDeps } from '../../lambdas/handlers/dr-aws-deps';
import {
  type DrSwitchEvent,
  type DrSwitchResult,
  handleDrEvent,
} from '../../lambdas/handlers/dr-switch-handler';
import { isInputError, parseCommandArgs, readText, UsageError } from './io';

export const USAGE = `usage: cx-surge dr <action> [options]

actions:
  plan        check every assertion and print the plan; writes nothing (same as --dry-run)
  failover    move the DIDs to the backup: --mode all | dids | nuclear, then --yes (or --dry-run)
  failback    reverse the failover and mirror the callbacks taken in the backup org (--mode as failed over)
  resume      finish a run a crash left incomplete: [--run ID] --yes
  status      DR state, lease, runs with RTO, open readiness episodes
  readiness   the daily dry-run by hand: pages each broken precondition
  drill       fail over and back with every mode on two emulated orgs: [--dids 1000] [--ivrs 20]

options:
  --config FILE          DR config (JSON; docs/dr.md). Required except for drill
  --mode M               all (the __ALL__ row) | dids (one DR_Control row per DID) | nuclear (backup IVRs)
  --all                  same as --mode all
  --dids LIST            comma-separated DIDs (a subset of the config; default: all of them)
  --direction D          plan: failover (default) or failback
  --dry-run              check and plan, write nothing
  --yes                  really switch (a run changes routing for real)
  --run ID               resume: the run to finish (default: the incomplete one)
  --via-lambda FUNCTION  run it in the deployed dr-switch Lambda (name or ARN; default chain credentials)
  --table NAME           state table (default: $SURGE_STATE_TABLE)
  --endpoint-url URL     DynamoDB endpoint (dynalite, DynamoDB Local), as the AWS CLI
  --secrets-file FILE    read the secrets named in the config from a local JSON file, not Secrets Manager
  --primary-gateway URL  send the primary org's calls here (e.g. a \`surge emulator\`); --backup-gateway too
  --ivrs N, --callbacks N  drill size (defaults 20, 25)
  --json                 print JSON
  -h, --help             show this help

exit codes: 0 done (or all assertions hold), 1 blocked / failed / readiness failing / drill failed, 2 bad input`;

const ACTIONS = ['plan', 'failover', 'failback', 'resume', 'status', 'readiness', 'drill'] as const;
type Action = (typeof ACTIONS)[number];

const seconds = (ms: number | undefined): string =>
  ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a whole number ≥ 1, got '${value}'`);
  return n;
}

export function renderRunReport(report: DrRunReport): string {
  const lines = [
    `DR ${report.direction} ${report.mode}${report.dryRun ? ' (dry run: nothing written)' : ''}: ${report.status.toUpperCase()}${report.dryRun ? '' : ` — run ${report.runId}`}`,
    '',
    'assertions',
    ...report.assertions.map((a) => `  ${a.ok ? 'PASS' : 'FAIL'}  ${a.code}: ${a.message}`),
    '',
    `plan: ${report.ops.total} operation(s) over ${report.dids.length} DID(s); rate-limit floor ${seconds(report.floorMs)}`,
  ];
  if (!report.dryRun && report.status !== 'blocked') {
    lines.push(
      `verified ${report.ops.verified}/${report.ops.total} operation(s), ${report.ops.writes} write(s); RTO ${seconds(report.rtoMs)} (start → last verified write)`,
    );
    const slowest = [...report.dids]
      .filter((d) => d.verifiedAfterMs !== undefined)
      .sort((a, b) => (b.verifiedAfterMs ?? 0) - (a.verifiedAfterMs ?? 0))
      .slice(0, 5);
    if (slowest.length) {
      lines.push('slowest DIDs (verified after)');
      for (const d of slowest) lines.push(`  ${d.did.padEnd(16)} ${seconds(d.verifiedAfterMs)}  ${d.opId}`);
    }
    const unverified = report.dids.filter((d) => !d.verified);
    if (unverified.length)
      lines.push(
        `unverified DIDs: ${unverified
          .map((d) => d.did)
          .slice(0, 10)
          .join(', ')}${unverified.length > 10 ? ' …' : ''}`,
      );
  }
  if (report.mirror) {
    const m = report.mirror;
    lines.push(
      `callbacks taken in the backup org ${m.windowStart} → ${m.windowEnd}: ${m.found}; mirrored ${m.mirrored} (${m.createdNow} now); data integrity ${(m.integrityRate * 100).toFixed(1)} %`,
    );
  }
  if (report.error) lines.push(`error: ${report.error}`);
  return `${lines.join('\n')}\n`;
}

function renderStatus(s: DrStatusReport): string {
  const lines = [
    `DR state: ${s.state.state}${s.state.mode ? ` (mode ${s.state.mode}, failover run ${s.state.failoverRunId})` : ''}; ${s.dids} DID(s) configured`,
    `lease: ${s.lease.free ? 'free' : `held by run ${s.lease.holder?.runId} (${s.lease.holder?.owner}) until ${new Date(s.lease.holder?.expiresAt ?? 0).toISOString()}`}`,
    `readiness: ${s.readiness.lastRunAt ? `${s.readiness.lastOk ? 'OK' : 'FAILING'} at ${new Date(s.readiness.lastRunAt).toISOString()}` : 'never run'}${Object.keys(s.readiness.openEpisodes).length ? `; open: ${Object.keys(s.readiness.openEpisodes).join(', ')}` : ''}`,
    'runs',
  ];
  for (const r of s.runs.slice(-10)) {
    lines.push(
      `  ${r.runId}  ${r.direction.padEnd(8)} ${r.mode.padEnd(7)} ${r.status.padEnd(9)} started ${new Date(r.startedAt).toISOString()}  RTO ${seconds(r.rtoMs)}${r.mirror ? `  callbacks ${r.mirror.mirrored}/${r.mirror.found}` : ''}${r.error ? `  error: ${r.error}` : ''}`,
    );
  }
  if (!s.runs.length) lines.push('  (none)');
  return `${lines.join('\n')}\n`;
}

function renderReadiness(r: ReadinessReport): string {
  return `${[
    `DR readiness at ${r.at}: ${r.ok ? 'READY' : 'DR WOULD FAIL'}`,
    ...r.assertions.map((a) => `  ${a.ok ? 'PASS' : 'FAIL'}  ${a.code}: ${a.message}`),
    ...(r.paged.length ? [`paged: ${r.paged.map((p) => `${p.action} ${p.check}`).join(', ')}`] : []),
  ].join('\n')}\n`;
}

/** Prints a result; returns the exit code. */
function print(action: Action, result: DrSwitchResult, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.outcome === 'refused') {
    if (!json) process.stderr.write(`cx-surge dr ${action}: ${result.message}\n`);
    return 2;
  }
  if (result.outcome === 'blocked') {
    if (!json) {
      process.stdout.write(renderRunReport(result.report as DrRunReport));
      process.stderr.write(
        `cx-surge dr ${action}: blocked before any write — fix the failing assertion(s) above\n`,
      );
    }
    return 1;
  }
  const report = result.report;
  if (action === 'status') {
    if (!json) process.stdout.write(renderStatus(report as DrStatusReport));
    return 0;
  }
  if (action === 'readiness') {
    if (!json) process.stdout.write(renderReadiness(report as ReadinessReport));
    return (report as ReadinessReport).ok ? 0 : 1;
  }
  const run = report as DrRunReport;
  if (!json) process.stdout.write(renderRunReport(run));
  return run.status === 'completed' || run.status === 'planned' ? 0 : 1;
}

async function invokeLambda(functionName: string, event: DrSwitchEvent): Promise<DrSwitchResult> {
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  // CloudTrail records the IAM identity that invoked; this names the person for the run's owner field.
  const requestedBy = process.env.USER ? `${process.env.USER} (cx-surge dr --via-lambda)` : undefined;
  const client = new LambdaClient({});
  const out = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(
        JSON.stringify({ ...event, ...(requestedBy ? { requestedBy } : {}) }),
      ),
    }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  if (out.FunctionError) throw new Error(`dr-switch failed (${out.FunctionError}): ${text.slice(0, 2000)}`);
  return JSON.parse(text) as DrSwitchResult;
}

export async function run(args: string[]): Promise<number> {
  let action: Action | undefined;
  try {
    const { values, positionals } = parseCommandArgs(
      'dr',
      args,
      {
        config: { type: 'string' },
        mode: { type: 'string' },
        all: { type: 'boolean' },
        dids: { type: 'string' },
        direction: { type: 'string' },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean' },
        run: { type: 'string' },
        'via-lambda': { type: 'string' },
        table: { type: 'string' },
        'endpoint-url': { type: 'string' },
        'secrets-file': { type: 'string' },
        'primary-gateway': { type: 'string' },
        'backup-gateway': { type: 'string' },
        ivrs: { type: 'string' },
        callbacks: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      true,
    );
    if (values.help || positionals.length === 0) {
      process.stdout.write(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const name = positionals[0] as string;
    if (!(ACTIONS as readonly string[]).includes(name) || positionals.length > 1) {
      throw new UsageError(`unknown action '${positionals.join(' ')}' (one of ${ACTIONS.join(', ')})`);
    }
    action = name as Action;
    const json = values.json === true;

    if (action === 'drill') {
      const result = await runDrDrill({
        dids: positiveInt('dids', values.dids, 1000),
        ivrs: positiveInt('ivrs', values.ivrs, 20),
        callbacks: positiveInt('callbacks', values.callbacks, 25),
      });
      process.stdout.write(
        json ? `${JSON.stringify(drDrillJson(result), null, 2)}\n` : renderDrDrillText(result),
      );
      return result.passed ? 0 : 1;
    }

    if (values.all && values.mode && values.mode !== 'all') throw new UsageError('--all contradicts --mode');
    const mode = values.all ? 'all' : values.mode;
    if (mode !== undefined && !(DR_MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`--mode must be one of ${DR_MODES.join(', ')}, got '${mode}'`);
    }
    if (
      values.direction !== undefined &&
      values.direction !== 'failover' &&
      values.direction !== 'failback'
    ) {
      throw new UsageError(`--direction must be failover or failback, got '${values.direction}'`);
    }
    if (values['dry-run'] && values.yes) throw new UsageError('--dry-run and --yes contradict each other');
    if ((action === 'failover' || action === 'failback' || action === 'plan') && !mode) {
      throw new UsageError(`cx-surge dr ${action} needs --mode (${DR_MODES.join(' | ')})`);
    }
    if (
      (action === 'failover' || action === 'failback' || action === 'resume') &&
      !values.yes &&
      !values['dry-run']
    ) {
      throw new UsageError(
        `cx-surge dr ${action} changes routing for real: add --yes (or --dry-run to only check and plan)`,
      );
    }
    const dids = values.dids
      ?.split(',')
      .map((d) => d.trim())
      .filter(Boolean);
    const event: DrSwitchEvent = {
      action,
      ...(mode ? { mode: mode as DrMode } : {}),
      ...(dids?.length ? { dids } : {}),
      ...(values.direction ? { direction: values.direction as 'failover' | 'failback' } : {}),
      ...(values['dry-run'] ? { dryRun: true } : {}),
      ...(values.yes ? { confirmed: true } : {}),
      ...(values.run ? { runId: values.run } : {}),
    };

    if (values['via-lambda']) return print(action, await invokeLambda(values['via-lambda'], event), json);

    if (!values.config) throw new UsageError(`cx-surge dr ${action} needs --config FILE (the DR config)`);
    const config = parseDrConfigText(await readText(values.config), values.config);
    const tableName = values.table ?? process.env.SURGE_STATE_TABLE;
    if (!tableName) throw new UsageError('name the state table: --table NAME or $SURGE_STATE_TABLE');
    const secretsFile = values['secrets-file'];
    if (secretsFile)
      await readFile(secretsFile).catch(() => {
        throw new UsageError(`cannot read ${secretsFile}`);
      });
    const deps = awsDrDeps({
      config,
      dynamo: new DynamoDBClient(values['endpoint-url'] ? { endpoint: values['endpoint-url'] } : {}),
      tableName,
      owner: `cx-surge dr (${process.env.USER ?? 'cli'})`,
      ...(secretsFile
        ? {
            credentials: (_which, org) =>
              new LocalSecretsFileCredentialsSource({
                file: secretsFile,
                primarySecret: org.credentialsSecret,
                breakGlassSecret: org.breakGlassSecret,
              }),
          }
        : {}),
      gateways: {
        ...(values['primary-gateway'] ? { primary: values['primary-gateway'] } : {}),
        ...(values['backup-gateway'] ? { backup: values['backup-gateway'] } : {}),
      },
    });
    return print(action, await handleDrEvent(deps, event), json);
  } catch (e) {
    if (isInputError(e)) {
      process.stderr.write(`cx-surge dr${action ? ` ${action}` : ''}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
