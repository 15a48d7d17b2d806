// `cx-surge edge set-flag on|off` / `cx-surge edge get-flag`: the ops one-click toggle for Tier 3 (widget
// throttling). Uses the same cloudfront-kvs switch as the controller, so the write is ETag-guarded,
// idempotent and verified by read-back. The edge function picks the new value up within seconds.
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { checkKvsArn, createKvsSwitch, SdkKeyValueStore } from '../../lambdas/adapters/cloudfront-kvs';
import { EnvVar } from '../../lambdas/adapters/telemetry-names';
import { SwitchError } from '../../lambdas/core/errors';
import { EDGE_DEFAULTS } from '../../lambdas/edge/edge-config';
import { edgeBaseUrl, renderFetches, verifyEdge, warmEdge } from './edge-warm';
import { isInputError, parseCommandArgs, UsageError } from './io';

export const USAGE = `usage: cx-surge edge set-flag on|off [--kvs-arn ARN] [--key KEY] [--on-value V] [--off-value V] [--json]
       cx-surge edge get-flag [--kvs-arn ARN] [--key KEY] [--json]
       cx-surge edge warm   --distribution-domain D [--base-url URL] [--json]
       cx-surge edge verify --distribution-domain D [--base-url URL] [--expect-flag on|off] [--json]

Turns Tier 3 (widget throttling) on or off by hand: writes the surge flag in the CloudFront
KeyValueStore that the edge function reads on every request for the Messenger bootstrap script.
While the flag is on, visitors without a running conversation see "chat is at capacity" with
e-mail and FAQ links instead of the chat button.

warm fetches the Tier 4 fallback files through the distribution until the edge location that answers
you holds them (X-Cache: Hit); verify fetches them and the Messenger bootstrap path once and reports
status, X-Cache and time per path, failing when a file is missing, uncached or slower than 1 s. Run both
the week before an event, from where your customers are (each edge location caches on its own).

options:
  --distribution-domain D   the distribution's domain (stack output DistributionDomainName, or yours)
  --base-url URL            fetch from http(s)://host[:port] instead (a local stand-in, tests)
  --expect-flag on|off      verify: also fail unless tier 3 is in this state
  --kvs-arn ARN     the KeyValueStore (default: $${EnvVar.EdgeKvsArn}; stack output of SurgeEdge)
  --key KEY         flag key (default: ${EDGE_DEFAULTS.flagKey})
  --on-value V      value meaning "on" (default: ${EDGE_DEFAULTS.flagOnValue}); must match the edge construct's flagOnValue
  --off-value V     value meaning "off" (default: ${EDGE_DEFAULTS.flagOffValue})
  --json            print the result as JSON
  -h, --help        show this help

AWS credentials and region come from the usual AWS SDK sources (profile, env, SSO).
The controller may switch the flag back on its next evaluation if its tier-3 actuator is in
'auto' mode; use 'cx-surge override' to hold a tier by hand.

exit codes: 0 done, 1 the switch failed (message says why), 2 bad input`;

export interface EdgeCliDeps {
  readonly client?: CloudFrontKeyValueStoreClient;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** HTTP client for warm/verify. @default global fetch */
  readonly fetch?: typeof fetch;
}

interface Options {
  'distribution-domain'?: string;
  'base-url'?: string;
  'expect-flag'?: string;
  'kvs-arn'?: string;
  key?: string;
  'on-value'?: string;
  'off-value'?: string;
  json?: boolean;
  help?: boolean;
}

function parse(args: string[]): { positionals: string[]; values: Options } {
  return parseCommandArgs(
    'edge',
    args,
    {
      'distribution-domain': { type: 'string' },
      'base-url': { type: 'string' },
      'expect-flag': { type: 'string' },
      'kvs-arn': { type: 'string' },
      key: { type: 'string' },
      'on-value': { type: 'string' },
      'off-value': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
}

export async function run(args: string[], deps: EdgeCliDeps = {}): Promise<number> {
  const out = deps.stdout ?? ((t: string) => process.stdout.write(t));
  const err = deps.stderr ?? ((t: string) => process.stderr.write(t));
  try {
    const { positionals, values } = parse(args);
    if (values.help || positionals.length === 0) {
      (values.help ? out : err)(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const [verb, ...rest] = positionals;
    if (verb === 'warm' || verb === 'verify')
      return await edgeCheck(verb, rest, values, out, err, deps.fetch);
    const kvsArn = checkKvsArn(
      values['kvs-arn'] ?? (deps.env ?? process.env)[EnvVar.EdgeKvsArn],
      '--kvs-arn',
    );
    const key = values.key ?? EDGE_DEFAULTS.flagKey;
    const onValue = values['on-value'] ?? EDGE_DEFAULTS.flagOnValue;
    const offValue = values['off-value'] ?? EDGE_DEFAULTS.flagOffValue;
    if (onValue === offValue)
      throw new UsageError(`--on-value and --off-value must differ (both '${onValue}')`);
    const client = deps.client ?? new CloudFrontKeyValueStoreClient({});

    if (verb === 'get-flag') {
      if (rest.length > 0) throw new UsageError(`get-flag takes no arguments, got '${rest.join(' ')}'`);
      const store = new SdkKeyValueStore(client, kvsArn);
      await store.etag(); // fails clearly if the store itself is missing or not readable
      const value = await store.get(key);
      const flag = value === onValue ? 'on' : 'off';
      out(
        values.json
          ? `${JSON.stringify({ kvsArn, key, value: value ?? null, flag })}\n`
          : `${key} = ${value ?? '(not set)'} → tier 3 ${flag}\n`,
      );
      return 0;
    }
    if (verb !== 'set-flag')
      throw new UsageError(`unknown subcommand '${verb}' (expected set-flag, get-flag, warm or verify)`);
    const [wanted, ...extra] = rest;
    if ((wanted !== 'on' && wanted !== 'off') || extra.length > 0) {
      throw new UsageError(`set-flag takes exactly one argument, on or off, got '${rest.join(' ')}'`);
    }
    const outcome = await createKvsSwitch({ kvsArn, client }).apply(
      {
        id: 'ops-set-flag',
        tier: 3,
        type: 'cloudfront-kvs',
        queues: ['*'],
        key,
        activeValue: onValue,
        inactiveValue: offValue,
      },
      wanted === 'on' ? 'active' : 'inactive',
    );
    const value = wanted === 'on' ? onValue : offValue;
    out(
      values.json
        ? `${JSON.stringify({ kvsArn, key, value, flag: wanted, changed: outcome.changed })}\n`
        : `${key} = ${value} → tier 3 ${wanted} (${outcome.changed ? 'changed' : 'already so, nothing written'})\n`,
    );
    return 0;
  } catch (e) {
    if (isInputError(e)) {
      err(`cx-surge edge: ${e.message}\n`);
      return 2;
    }
    if (e instanceof SwitchError) {
      err(`cx-surge edge: ${e.message}\n`);
      return 1;
    }
    const name = e instanceof Error ? e.name : 'Error';
    err(`cx-surge edge: ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

async function edgeCheck(
  verb: 'warm' | 'verify',
  rest: string[],
  values: Options,
  out: (t: string) => void,
  err: (t: string) => void,
  fetchImpl: typeof fetch = fetch,
): Promise<number> {
  if (rest.length > 0) throw new UsageError(`${verb} takes no arguments, got '${rest.join(' ')}'`);
  const expect = values['expect-flag'];
  if (expect !== undefined && expect !== 'on' && expect !== 'off') {
    throw new UsageError(`--expect-flag must be on or off, got '${expect}'`);
  }
  if (verb === 'warm' && expect !== undefined) throw new UsageError('--expect-flag is for verify');
  const base = edgeBaseUrl(values['distribution-domain'], values['base-url']);
  try {
    if (verb === 'warm') {
      const fetches = await warmEdge(base, fetchImpl);
      const cold = fetches.filter(
        (f, i) =>
          fetches[i + 1]?.path !== f.path && !/^(Hit|RefreshHit) from cloudfront$/i.test(f.xCache ?? ''),
      );
      out(
        values.json
          ? `${JSON.stringify({ baseUrl: base, fetches, warmed: cold.length === 0 })}\n`
          : `warming ${base}\n${renderFetches(fetches)}\n${cold.length === 0 ? 'every fallback file is cached at this edge location' : `not cached after warming: ${cold.map((f) => `${f.path} (${f.status}, ${f.xCache ?? 'no X-Cache'})`).join(', ')}`}\n`,
      );
      return cold.length === 0 ? 0 : 1;
    }
    const { fetches, verdicts } = await verifyEdge(base, {
      fetchImpl,
      ...(expect ? { expectFlag: expect } : {}),
    });
    const ok = verdicts.every((v) => v.ok);
    out(
      values.json
        ? `${JSON.stringify({ baseUrl: base, fetches, verdicts, passed: ok })}\n`
        : `verifying ${base}\n${renderFetches(fetches)}\n${verdicts.map((v) => `  ${v.ok ? 'PASS' : 'FAIL'}  ${v.path}: ${v.detail}`).join('\n')}\nedge ${verb} ${ok ? 'PASSED' : 'FAILED'}\n`,
    );
    return ok ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : '';
    err(
      `cx-surge edge ${verb}: cannot reach ${base}: ${e instanceof Error ? e.message : String(e)}${cause}\n`,
    );
    return 1;
  }
}
