// `cx-surge edge warm|verify` against the loopback distribution stand-in (same routing and X-Cache values as
// CloudFront: fallback files Miss then Hit, the function's stub FunctionGeneratedResponse, failover Error).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../bin/cli/edge';
import { type EdgeStandIn, startEdgeStandIn } from '../../../drill/edge/edge-stand-in';
import { EDGE_DEFAULTS } from '../../../lambdas/edge/edge-config';

let site: EdgeStandIn;
let flag = 'off';

beforeAll(async () => {
  site = await startEdgeStandIn({ readFlag: () => flag });
});
afterAll(() => site.close());

let out: string;
let err: string;
beforeEach(() => {
  out = '';
  err = '';
  flag = 'off';
  site.origin.fault = undefined;
});
const edge = (...args: string[]) =>
  run(args, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });

describe('cx-surge edge warm', () => {
  it('fetches every fallback file until this edge holds it, and reports X-Cache and time per fetch', async () => {
    const code = await edge('warm', '--base-url', site.url, '--json');

    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.warmed).toBe(true);
    expect(report.fetches.map((f: { path: string; xCache: string }) => `${f.path} ${f.xCache}`)).toEqual([
      '/support-fallback.html Miss from cloudfront',
      '/support-fallback.html Hit from cloudfront',
      '/support-fallback.css Miss from cloudfront',
      '/support-fallback.css Hit from cloudfront',
      '/support-fallback.js Miss from cloudfront',
      '/support-fallback.js Hit from cloudfront',
      '/support-fallback-status.json Miss from cloudfront',
      '/support-fallback-status.json Hit from cloudfront',
    ]);
    for (const f of report.fetches) expect(typeof f.ms).toBe('number');
  });
});

describe('cx-surge edge verify', () => {
  it('passes once warm, naming what the bootstrap path serves', async () => {
    await edge('warm', '--base-url', site.url);
    out = '';

    const code = await edge('verify', '--base-url', site.url, '--expect-flag', 'off');

    expect(code).toBe(0);
    expect(out).toContain(
      `PASS  ${EDGE_DEFAULTS.messengerScriptPath}: real Messenger bootstrap (tier 3 off)`,
    );
    expect(out).toMatch(/PASS {2}\/support-fallback\.html: 200, Hit from cloudfront, \d+ ms/);
    expect(out.trim().split('\n').at(-1)).toBe('edge verify PASSED');
  });

  it('sees the stub when tier 3 is on, and fails when that is not what was expected', async () => {
    flag = 'on';

    const code = await edge('verify', '--base-url', site.url, '--expect-flag', 'off', '--json');

    expect(code).toBe(1);
    const report = JSON.parse(out);
    const script = report.fetches.find((f: { path: string }) => f.path === EDGE_DEFAULTS.messengerScriptPath);
    expect(script).toMatchObject({ served: 'stub', xCache: 'FunctionGeneratedResponse from cloudfront' });
    expect(report.verdicts.at(-1)).toMatchObject({ ok: false, detail: 'tier 3 flag is on, expected off' });
  });

  it('reports the origin failing when the bootstrap path falls back to the fallback page', async () => {
    site.origin.fault = '5xx';

    const code = await edge('verify', '--base-url', site.url, '--json');

    expect(code).toBe(1);
    expect(JSON.parse(out).verdicts.at(-1).detail).toContain('the origin is failing');
  });

  it('fails, naming the file, when a fallback file is not cached at this edge yet', async () => {
    site.putFallbackFile('support-fallback-status.json', '{"status":"new","updatedAt":null}');

    const code = await edge('verify', '--base-url', site.url);

    expect(code).toBe(1);
    expect(out).toContain(
      'FAIL  /support-fallback-status.json: not cached at this edge (X-Cache: Miss from cloudfront; run cx-surge edge warm)',
    );
  });

  it.each([
    [['verify'], '--distribution-domain is required (or --base-url)'],
    [
      ['verify', '--distribution-domain', 'https://d1.cloudfront.net'],
      '--distribution-domain must be a host name',
    ],
    [['warm', '--base-url', 'ftp://127.0.0.1:1'], '--base-url must be http(s)://host[:port] with no path'],
    [
      ['verify', '--base-url', 'http://127.0.0.1:1', '--expect-flag', 'maybe'],
      "--expect-flag must be on or off, got 'maybe'",
    ],
  ])('rejects %j with one line and exit 2', async (args, message) => {
    const code = await edge(...args);

    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 with a one-line reason when nothing answers', async () => {
    const code = await edge('verify', '--base-url', 'http://127.0.0.1:9');

    expect(code).toBe(1);
    expect(err).toMatch(/^cx-surge edge verify: cannot reach http:\/\/127\.0\.0\.1:9: /);
  });
});
