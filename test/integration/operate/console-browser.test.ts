// `cx-surge console` in a real headless Chromium (drill/browser.ts finds one on any machine), against the
// stand-ins (dynalite + the Genesys emulator): the status table with a degraded queue, a one-click
// override with its confirmation, what the click changed, and the guards that keep other pages out.
// SURGE_CONSOLE_SCREENSHOTS=1 also writes docs/img/console.png and docs/img/console-confirm.png.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleServer, startConsole } from '../../../bin/cli/console-server';
import { launchBrowser } from '../../../drill/browser';
import { SURGE_CONTROL_TABLE } from '../../../drill/genesys-emulator';
import { SimulatedClock } from '../../../drill/simulated-clock';
import { type StandIns, startStandIns } from '../../../drill/stand-ins';
import { DynamoPageOutbox, stateTable } from '../../../lambdas/adapters/dynamodb';
import { listOutboxEntries } from '../../../lambdas/adapters/dynamodb/page-reader';
import { evaluateObservation } from '../../../lambdas/app/evaluate-observation';
import { convergeNow } from '../../../lambdas/app/operate';
import { RecordingTelemetry } from '../../../lambdas/app/telemetry';
import { actuatorsForDrill } from '../../../lambdas/core/actuator-plan';
import { parseConfig } from '../../../lambdas/core/config';

const SCREENSHOTS = process.env.SURGE_CONSOLE_SCREENSHOTS === '1';
const docsImg = (name: string) => join(import.meta.dirname, '../../../docs/img', name);
const T0 = Date.parse('2026-11-27T09:00:00Z');
const config = parseConfig({
  queues: [
    { id: 'sales', name: 'Sales' },
    { id: 'support', name: 'Support' },
  ],
});
const actuators = actuatorsForDrill(config, SURGE_CONTROL_TABLE);

let clock: SimulatedClock;
let standIns: StandIns;
let consoleServer: ConsoleServer;
let browser: Browser;
let page: Page;
let hostile: Server;

const observe = (queueId: string, waiting: number, minute: number, agents: number | null = 4) => {
  clock.set(T0 + minute * 60_000);
  return evaluateObservation(standIns.deps, {
    queueId,
    observedAt: new Date(clock.now()).toISOString(),
    waiting,
    agentsAvailable: agents,
  });
};

beforeAll(async () => {
  clock = new SimulatedClock(T0);
  standIns = await startStandIns({ config, actuators, clock, telemetry: new RecordingTelemetry() });
  const table = stateTable({ client: standIns.dynamo.client, tableName: standIns.dynamo.tableName, clock });
  // support reports once and goes silent; sales surges on tier 1 and keeps reporting.
  await observe('support', 12, 0, 6);
  for (let m = 0; m <= 10; m++) await observe('sales', 120, m);
  clock.set(T0 + 11 * 60_000);
  const { deps } = standIns;
  consoleServer = await startConsole({
    ports: {
      config,
      actuators,
      queueStates: deps.queueStates,
      overrides: deps.overrides,
      actuatorStore: deps.actuatorStore,
      outbox: new DynamoPageOutbox(table, { claimMs: 1 }),
      listPages: () => listOutboxEntries(table),
      clock,
    },
    applyNow: convergeNow(deps, 'the stand-ins'),
    identity: async () => 'local:supervisor',
    where: 'the test stand-ins',
  });
  // A page on another origin that tries to drive the console (CSRF), with and without the token.
  hostile = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><form id="f" method="POST" action="${consoleServer.origin}/api/override" enctype="text/plain">
      <input name='{"action":"set","queue":"sales","tier":"3","state":"active","reason":"x","pad":"' value='"}'></form>
      <script>
        fetch('${consoleServer.origin}/api/override', { method: 'POST', mode: 'no-cors',
          headers: { 'Content-Type': 'text/plain' },
          body: JSON.stringify({ action: 'set', queue: 'sales', tier: '3', state: 'active', reason: 'csrf' }) })
          .finally(() => document.getElementById('f').submit());
      </script>`);
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', () => resolve()));
  ({ browser } = await launchBrowser());
  page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  page.setDefaultTimeout(10_000);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await new Promise<void>((resolve) => (hostile ? hostile.close(() => resolve()) : resolve()));
  await standIns?.stop();
});

const lever = (tier: number) => standIns.emulator.readRow(SURGE_CONTROL_TABLE, `tier${tier}`)?.SurgeActive;

describe('cx-surge console in Chromium', () => {
  it('shows every queue with its data age, marks the degraded one, and the tiers in force', async () => {
    await page.goto(consoleServer.url);

    const sales = page.getByRole('row', { name: /Sales \(sales\)/ });
    const support = page.getByRole('row', { name: /Support \(support\)/ });
    await sales.waitFor();
    await expect(sales.textContent()).resolves.toContain('last updated 1 minute ago');
    await expect(support.textContent()).resolves.toMatch(/DEGRADED\s*last updated 11 minutes ago/);
    await expect(sales.locator('td').nth(0).textContent()).resolves.toBe('120');
    await expect(sales.locator('td').nth(3).textContent()).resolves.toMatch(/^ON/); // tier 1 activated at minute 9
    await expect(sales.locator('td').nth(4).textContent()).resolves.toMatch(/^off/);
    if (SCREENSHOTS) await page.screenshot({ path: docsImg('console.png'), fullPage: true });
  });

  it('holds a tier with one click, a reason and a confirmation, switches the lever and says what changed', async () => {
    await page.goto(consoleServer.url);
    expect(lever(2)).toBe(false);

    await page.getByRole('button', { name: 'Hold tier 2 on for sales' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm override' });
    await expect(dialog.textContent()).resolves.toContain('Hold tier 2 ON for queue sales.');
    await dialog.getByLabel('Reason (paged to on-call)').fill('agents moved to returns');
    await dialog.getByLabel('For how long').selectOption('1h');
    if (SCREENSHOTS) await page.screenshot({ path: docsImg('console-confirm.png') });
    await dialog.getByRole('button', { name: 'Confirm' }).click();

    const log = page.getByRole('list').filter({ hasText: 'held ON' });
    await log.waitFor();
    await expect(log.textContent()).resolves.toMatch(
      /Tier 2 held ON for sales until 2026-11-27T10:11:00Z — agents moved to returns.*by local:supervisor.*tier2-datatable: never switched → active/s,
    );
    expect(lever(2)).toBe(true);
    const row = page.getByRole('row', { name: /Sales \(sales\)/ });
    await expect(row.locator('td').nth(4).textContent()).resolves.toMatch(/^ONautooverride/);
    expect(await standIns.deps.overrides.list()).toEqual([
      expect.objectContaining({ queue: 'sales', tier: 2, state: 'active', by: 'local:supervisor' }),
    ]);
  });

  it('refuses an empty reason in the dialog and writes nothing', async () => {
    await page.goto(consoleServer.url);
    await page.getByRole('button', { name: 'Hold tier 3 on for support' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm override' });
    await dialog.getByRole('button', { name: 'Confirm' }).click(); // required field: the browser blocks it

    await expect(dialog.isVisible()).resolves.toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await standIns.deps.overrides.list()).filter((o) => o.tier === 3)).toEqual([]);
  });

  it('refreshes every 5 s without taking keyboard focus away from the button the operator is on', async () => {
    // On the shared page (the packaged Chromium runs single-process: closing a second page can take the
    // browser with it), before the cross-origin test below opens one.
    await page.clock.install(); // the page's timers run when the test says (no waiting on the wall clock)
    await page.goto(consoleServer.url);
    const sales = page.getByRole('row', { name: /Sales \(sales\)/ });
    await sales.waitFor();
    const button = page.getByRole('button', { name: 'Hold tier 1 off for sales' });
    await button.focus();
    await button.evaluate((b) => Object.assign(b, { marked: true }));

    // The queue moves, and the console's next refresh shows it.
    await observe('sales', 130, 11);
    await page.clock.runFor(5_000);
    await expect.poll(() => sales.locator('td').first().textContent()).toBe('130');

    // Still the same element, still focused: a keyboard or screen-reader user keeps their place.
    const focusedNow = page.locator(':focus');
    const focused = {
      marked: await focusedNow.evaluate((e) => (e as { marked?: boolean }).marked === true),
      label: await focusedNow.getAttribute('aria-label'),
    };
    expect(focused).toEqual({ marked: true, label: 'Hold tier 1 off for sales' });
    // …and the keyboard goes on from there: Enter opens the confirmation for that button.
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Confirm override' });
    await expect(dialog.textContent()).resolves.toContain('Hold tier 1 OFF for queue sales.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('cannot be driven by another web page (cross-origin form post and fetch)', async () => {
    const other = await browser.newPage();
    const { port } = hostile.address() as AddressInfo;
    const refused = other.waitForResponse((r) => r.url().endsWith('/api/override'));
    await other.goto(`http://127.0.0.1:${port}/`);
    expect((await refused).status()).toBe(403);
    await other.close();
    expect((await standIns.deps.overrides.list()).filter((o) => o.tier === 3)).toEqual([]);
    expect(lever(3)).not.toBe(true);
  });
});

describe('console guards (raw HTTP)', () => {
  const raw = (path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(consoleServer.origin);
      const req = request(
        { host: '127.0.0.1', port: url.port, path, method: body ? 'POST' : 'GET', headers, setHost: false },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const host = () => new URL(consoleServer.origin).host;
  const setBody = JSON.stringify({
    action: 'set',
    queue: 'support',
    tier: '3',
    state: 'active',
    reason: 'guard test',
  });

  it.each([
    [
      'a rebound host name (DNS rebinding)',
      () => ({ Host: `attacker.example:${new URL(consoleServer.origin).port}` }),
      421,
    ],
    ['no token', () => ({ Host: host() }), 403],
    ['a wrong token', () => ({ Host: host(), 'X-Surge-Token': 'x'.repeat(32) }), 403],
  ])('refuses the status API with %s', async (_case, headers, status) => {
    expect((await raw('/api/status', headers())).status).toBe(status);
  });

  it('refuses a write from another origin even with the token, and a non-JSON body', async () => {
    const base = { Host: host(), 'X-Surge-Token': consoleServer.token, 'Content-Type': 'application/json' };
    expect((await raw('/api/override', { ...base, Origin: 'http://127.0.0.1:1' }, setBody)).status).toBe(403);
    expect((await raw('/api/override', { ...base, 'Content-Type': 'text/plain' }, setBody)).status).toBe(415);
    expect((await standIns.deps.overrides.list()).filter((o) => o.tier === 3)).toEqual([]);
  });

  it('serves the page only with the token, unframeable, with a strict CSP', async () => {
    expect((await raw('/', { Host: host() })).status).toBe(403);
    const res = await fetch(consoleServer.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('answers bad input with one line and status 400, writing nothing', async () => {
    const base = { Host: host(), 'X-Surge-Token': consoleServer.token, 'Content-Type': 'application/json' };
    const res = await raw(
      '/api/override',
      base,
      JSON.stringify({ action: 'set', queue: 'support', tier: '9', state: 'active', reason: 'r' }),
    );
    expect(res).toEqual({
      status: 400,
      body: JSON.stringify({ error: "--tier: must be 1, 2 or 3, got '9'" }),
    });
  });
});
