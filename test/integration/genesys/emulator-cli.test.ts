import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../../bin/cli/emulator';
import { api, token } from './support';

function scenarioFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'surge-emulator-cli-'));
  const file = join(dir, 'scenario.csv');
  writeFileSync(file, text);
  return file;
}

/** Starts the CLI in-process; returns its output so far, and a stop function that resolves to the exit code. */
async function start(args: string[], realNow: () => number = Date.now) {
  const out: string[] = [];
  const err: string[] = [];
  let stop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const exit = run(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stopSignal, realNow });
  // Wait for the banner (or an early exit on bad input).
  for (let i = 0; i < 200 && out.length === 0 && err.length === 0; i += 1)
    await new Promise((r) => setTimeout(r, 5));
  const stopAndWait = (): Promise<number> => {
    stop();
    return exit;
  };
  return { out, err, exit, stop: stopAndWait };
}

describe('cx-surge emulator', () => {
  it('prints its URL, the test clients and a curl session, and logs mutations as they happen', async () => {
    const cli = await start([]);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.out[0] ?? '')?.[1] as string;

    const bearer = await token(url);
    await api(url, bearer, 'PUT', '/api/v2/flows/datatables/surge-control/rows/tier1', {
      key: 'tier1',
      SurgeActive: true,
    });

    expect(cli.out[0]).toContain('surge-local-client / surge-local-secret');
    expect(cli.out[0]).toContain('surge-break-glass-client / surge-break-glass-secret');
    expect(cli.out[0]).toContain(`curl -s -X PUT -H "Authorization: Bearer $TOKEN"`);
    expect(cli.out.at(-1)).toMatch(
      /PUT \/api\/v2\/flows\/datatables\/surge-control\/rows\/tier1 → 200 {2}data table surge-control row tier1: SurgeActive: false → true/,
    );
    expect(await cli.stop()).toBe(0);
  });

  it('serves a scenario at simulated time that starts at its first line and runs at --speed', async () => {
    const file = scenarioFile(
      [
        'observedAt,queueId,waiting,agentsAvailable',
        '2026-11-27T09:00:00Z,sales,12,8',
        '2026-11-27T09:01:00Z,sales,480,0',
      ].join('\n'),
    );
    let real = 1_000_000;
    const cli = await start(['--scenario', file, '--speed', '60', '--json'], () => real);
    const info = JSON.parse(cli.out[0] as string) as {
      url: string;
      simulatedStart: string;
      queues: string[];
    };
    const bearer = await token(info.url);
    const waiting = async () => {
      const res = await api(info.url, bearer, 'POST', '/api/v2/analytics/queues/observations/query', {
        filter: {
          type: 'or',
          predicates: [{ type: 'dimension', dimension: 'queueId', operator: 'matches', value: 'sales' }],
        },
        metrics: ['oWaiting'],
      });
      return (res.body.results as { data?: { stats: { count: number } }[] }[])
        .flatMap((r) => r.data ?? [])
        .reduce((sum, d) => sum + d.stats.count, 0);
    };

    const atStart = await waiting();
    real += 1000; // one real second at ×60 is the next minute
    const aMinuteLater = await waiting();

    expect(info).toMatchObject({ simulatedStart: '2026-11-27T09:00:00.000Z', queues: ['sales'] });
    expect([atStart, aMinuteLater]).toEqual([12, 480]);
    expect(await cli.stop()).toBe(0);
  });

  it.each([
    [['--port', 'http'], '--port must be an integer'],
    [['--speed', '0'], '--speed must be a positive number'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--scenario', '/nonexistent/x.csv'], 'cannot read scenario'],
  ])('refuses %j with exit code 2 and a message naming the problem', async (args, message) => {
    const cli = await start(args);

    expect(await cli.exit).toBe(2);
    expect(cli.err.join('\n')).toContain(message);
  });

  it('refuses a malformed scenario naming its file, line and field', async () => {
    const file = scenarioFile(
      'observedAt,queueId,waiting,agentsAvailable\n2026-11-27T09:00:00Z,sales,many,1\n',
    );

    const cli = await start(['--scenario', file]);

    expect(await cli.exit).toBe(2);
    expect(cli.err.join('\n')).toContain(`${file}:2: waiting: must be a non-negative integer`);
  });
});
