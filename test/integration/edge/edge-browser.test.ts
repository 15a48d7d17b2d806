// Both edge tiers in a real headless browser (Chromium from drill/browser.ts: CHROMIUM_PATH, chromium on
// PATH, else the @sparticuz/chromium devDependency; driven by playwright-core), against the
// loopback edge emulator that runs the rendered CloudFront Function and serves the rendered fallback site.
// SURGE_EDGE_SCREENSHOTS=1 also writes docs/img/edge-stub.png and docs/img/edge-fallback.png.
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../../drill/browser';
import { EDGE_DEFAULTS } from '../../../lambdas/edge/edge-config';
import { type EdgeEmulator, SUPPORT_EMAIL, startEdgeEmulator } from './edge-emulator';

const SCREENSHOTS = process.env.SURGE_EDGE_SCREENSHOTS === '1';
const docsImg = (name: string) => join(import.meta.dirname, '../../../docs/img', name);

let edge: EdgeEmulator;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  edge = await startEdgeEmulator();
  ({ browser } = await launchBrowser());
  context = await browser.newContext({ viewport: { width: 800, height: 480 } });
  context.setDefaultTimeout(5_000);
}, 120_000); // a fresh machine extracts the packaged Chromium once (a few seconds)

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await edge?.close();
});

beforeEach(async () => {
  edge.originDown = false;
  edge.kvs.putUnconditionally(EDGE_DEFAULTS.flagKey, EDGE_DEFAULTS.flagOffValue);
  edge.requests.length = 0;
  await context.clearCookies();
  page = await context.newPage();
});

afterEach(async () => {
  await page.close();
});

const setFlag = (value: string) => edge.kvs.putUnconditionally(EDGE_DEFAULTS.flagKey, value);

describe('Tier 3 stub in the browser', () => {
  it('replaces the chat button with an accessible capacity notice when the flag is on', async () => {
    setFlag('on');
    const script = page.waitForResponse((r) => r.url().endsWith(EDGE_DEFAULTS.messengerScriptPath));

    await page.goto(`${edge.url}/`);

    const notice = page.getByRole('status');
    await expect(notice.textContent()).resolves.toContain('Chat is at capacity right now.');
    expect(await page.locator('[data-cx-chat-button]').count()).toBe(0);
    expect(await page.locator('#genesys-messenger-launcher').count()).toBe(0);
    expect(await notice.getByRole('link', { name: `E-mail ${SUPPORT_EMAIL}` }).getAttribute('href')).toBe(
      `mailto:${SUPPORT_EMAIL}`,
    );
    expect((await script).headers()['cache-control']).toBe('no-store, max-age=0');
    if (SCREENSHOTS) await page.screenshot({ path: docsImg('edge-stub.png') });
  });

  it('has a working FAQ link', async () => {
    setFlag('on');
    await page.goto(`${edge.url}/`);

    await page.getByRole('link', { name: 'Read our FAQ' }).click();

    await page.waitForURL(`${edge.url}/faq`);
    expect(await page.locator('h1').textContent()).toBe('Frequently asked questions');
  });

  it('loads the real Messenger and keeps the chat button when the flag is off', async () => {
    await page.goto(`${edge.url}/`);

    await page.locator('#genesys-messenger-launcher').waitFor();
    expect(await page.locator('[data-cx-chat-button]').count()).toBe(1);
    expect(await page.locator('[data-cx-surge-notice]').count()).toBe(0);
  });

  it('reaches a returning visitor whose browser already holds the real script, on their next page view', async () => {
    await page.goto(`${edge.url}/`);
    await page.locator('#genesys-messenger-launcher').waitFor();

    setFlag('on');
    await page.goto(`${edge.url}/`);

    await page.getByRole('status').waitFor();
    expect(await page.locator('#genesys-messenger-launcher').count()).toBe(0);
  });

  it('keeps the real Messenger for a visitor with a running conversation', async () => {
    setFlag('on');
    await context.addCookies([{ name: EDGE_DEFAULTS.sessionCookieName, value: '1', url: edge.url }]);

    await page.goto(`${edge.url}/`);

    await page.locator('#genesys-messenger-launcher').waitFor();
    expect(await page.locator('[data-cx-surge-notice]').count()).toBe(0);
  });

  it('shows a dismissible corner notice on pages without a chat button', async () => {
    setFlag('on');
    await page.goto(`${edge.url}/plain`);
    const notice = page.getByRole('status');
    await notice.waitFor();

    await page.getByRole('button', { name: 'Dismiss chat capacity notice' }).focus();
    await page.keyboard.press('Enter');

    expect(await page.locator('[data-cx-surge-notice]').count()).toBe(0);
  });
});

describe('Tier 4 fallback page in the browser', () => {
  it('renders at the failing URL with the status from its JSON file and requests nothing but its own files', async () => {
    edge.originDown = true;
    edge.putFallbackFile(
      'support-fallback-status.json',
      JSON.stringify({
        status: 'Checkout is down; orders placed are safe.',
        updatedAt: '2025-11-28 10:05 UTC',
      }),
    );
    const seen: string[] = [];
    page.on('request', (r) => seen.push(r.url()));

    const response = await page.goto(`${edge.url}/products/42`);

    // A locator wait, not waitForFunction: a string predicate is evaluated in the page, and the fallback
    // page's CSP (script-src 'self') refused that once under load (EvalError).
    await page
      .locator('#status')
      .filter({ hasText: /^Checkout is down/ })
      .waitFor();
    expect(response?.status()).toBe(503);
    expect(await page.locator('h1').textContent()).toBe('Our website is having problems');
    expect(await page.locator('#updated').textContent()).toBe('Last updated 2025-11-28 10:05 UTC');
    expect(await page.getByRole('link', { name: 'Track your order' }).getAttribute('href')).toBe(
      'https://orders.shop.example/track',
    );
    expect(await page.getByRole('link', { name: SUPPORT_EMAIL }).getAttribute('href')).toBe(
      `mailto:${SUPPORT_EMAIL}`,
    );
    // The stylesheet applied (served from the bucket at an absolute path, not relative to /products/).
    expect(await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth")).toBe('640px');
    expect(seen.sort()).toEqual(
      [
        `${edge.url}/products/42`,
        `${edge.url}/support-fallback-status.json`,
        `${edge.url}/support-fallback.css`,
        `${edge.url}/support-fallback.js`,
      ].sort(),
    );
    if (SCREENSHOTS) {
      await page.setViewportSize({ width: 800, height: 640 });
      await page.screenshot({ path: docsImg('edge-fallback.png') });
    }
  });
});
