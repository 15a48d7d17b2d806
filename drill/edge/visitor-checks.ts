// What a visitor sees during the drill, checked against the distribution stand-in at the moments that
// matter: while the Tier 3 flag is on, while the origin is failing, and after both are back to normal.
// Every moment is checked over HTTP (through the real CloudFront Function and failover routing) and, when
// a Chromium is available (drill/browser.ts), in a real headless browser with a screenshot. No browser:
// the browser checks say "not exercised", never fail.
import type { Browser } from 'playwright-core';
import { EDGE_DEFAULTS } from '../../lambdas/edge/edge-config';
import { launchBrowser } from '../browser';
import type { DrillCheck } from '../checks';
import { REAL_BOOTSTRAP } from './edge-stand-in';

/** The fallback page must be served within this many ms (README "Edge tiers"). */
export const FALLBACK_BUDGET_MS = 1000;
const FALLBACK_HEADLINE = 'Our website is having problems';
/** A deep link, so the check also proves failover serves the page at any path. */
const DEEP_LINK = '/products/42';

export type VisitorMoment = 'flag-on' | 'origin-down' | 'recovered';

export interface DrillScreenshot {
  readonly moment: VisitorMoment;
  /** Simulated instant of the check. */
  readonly at: string;
  readonly caption: string;
  /** PNG, base64. */
  readonly png: string;
}

const pass = (name: string, detail: string): DrillCheck => ({ name, status: 'pass', detail });
const fail = (name: string, detail: string): DrillCheck => ({ name, status: 'fail', detail });
const hhmm = (iso: string) => iso.slice(11, 16);

async function get(url: string, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(url, { headers, redirect: 'manual' });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, ms: performance.now() - started };
}

/** Resource URLs a page would load by itself (scripts, styles, images, frames), not links a visitor clicks. */
export function loadedResources(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<(script|img|iframe|source|link)\b[^>]*>/gi)) {
    const tag = m[0];
    const attr = /\b(src|href)\s*=\s*["']([^"']*)["']/i.exec(tag);
    if (!attr?.[2]) continue;
    if (
      m[1]?.toLowerCase() === 'link' &&
      !/\brel\s*=\s*["'](stylesheet|icon|preload|modulepreload)/i.test(tag)
    )
      continue;
    out.push(attr[2]);
  }
  return out;
}
const isThirdParty = (ref: string): boolean => /^(https?:)?\/\//i.test(ref);

/** Which edge tiers are still on when the drill ends. */
export interface EdgeEndState {
  readonly flagOn: boolean;
  readonly originDown: boolean;
}

export class VisitorChecks {
  readonly checks: DrillCheck[] = [];
  readonly screenshots: DrillScreenshot[] = [];
  private readonly done = new Set<VisitorMoment>();
  private browser: Promise<Browser | string> | undefined;
  private end: EdgeEndState = { flagOn: false, originDown: false };

  constructor(
    private readonly siteUrl: string,
    private readonly useBrowser: boolean,
  ) {}

  /** Has this moment been checked? */
  checked(moment: VisitorMoment): boolean {
    return this.done.has(moment);
  }

  /** A browser, or the reason there is none. */
  private async chromium(): Promise<Browser | string> {
    if (!this.useBrowser) return 'browser checks turned off (--no-browser)';
    this.browser ??= launchBrowser()
      .then((b) => b.browser)
      .catch((e: unknown) => `no Chromium: ${e instanceof Error ? e.message : String(e)}`);
    return this.browser;
  }

  /**
   * Checks one moment. `recovered` is checked against the end state: a tier still on when the drill ends
   * (the scenario stopped mid-surge) is expected to still show, not to be back.
   */
  async check(
    moment: VisitorMoment,
    at: string,
    end: EdgeEndState = { flagOn: false, originDown: false },
  ): Promise<void> {
    this.done.add(moment);
    if (moment === 'recovered' && end.flagOn && end.originDown) {
      const detail = 'the tier 3 flag is still on and the origin still down when the drill ends';
      this.checks.push({ name: 'visitor recovered (http)', status: 'not-exercised', detail });
      this.checks.push({ name: 'visitor recovered (browser)', status: 'not-exercised', detail });
      return;
    }
    this.end = end;
    this.checks.push(await this.http(moment, at));
    const browser = await this.chromium();
    const name = `visitor ${moment} (browser)`;
    if (typeof browser === 'string') {
      this.checks.push({ name, status: 'not-exercised', detail: browser });
      return;
    }
    try {
      this.checks.push(await this.inBrowser(browser, moment, at));
    } catch (e) {
      this.checks.push(
        fail(name, `at ${hhmm(at)}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`),
      );
    }
  }

  private async http(moment: VisitorMoment, at: string): Promise<DrillCheck> {
    const name = `visitor ${moment} (http)`;
    const script = `${this.siteUrl}${EDGE_DEFAULTS.messengerScriptPath}`;
    if (moment === 'flag-on') {
      const stub = await get(script);
      const chatting = await get(script, { cookie: `${EDGE_DEFAULTS.sessionCookieName}=1` });
      if (stub.headers.get('x-cx-surge') !== 'tier3-stub' || !stub.body.includes(EDGE_DEFAULTS.message)) {
        return fail(name, `at ${hhmm(at)} the bootstrap path served ${stub.status} without the stub`);
      }
      if (chatting.body !== REAL_BOOTSTRAP) {
        return fail(
          name,
          `at ${hhmm(at)} a visitor with a running conversation did not get the real Messenger`,
        );
      }
      return pass(
        name,
        `at ${hhmm(at)} the function served the capacity stub (no-store) and the real Messenger to a running conversation`,
      );
    }
    if (moment === 'origin-down') {
      const page = await get(`${this.siteUrl}${DEEP_LINK}`);
      const third = loadedResources(page.body).filter(isThirdParty);
      if (!page.body.includes(FALLBACK_HEADLINE)) {
        return fail(
          name,
          `at ${hhmm(at)} ${DEEP_LINK} answered ${page.status}, not the fallback page (origin groups fail over on 500/502/503/504, refused and timed-out origins only)`,
        );
      }
      if (page.ms > FALLBACK_BUDGET_MS) {
        return fail(
          name,
          `the fallback page took ${Math.round(page.ms)} ms (budget ${FALLBACK_BUDGET_MS} ms)`,
        );
      }
      if (third.length > 0)
        return fail(name, `the fallback page loads third-party resources: ${third.join(', ')}`);
      return pass(
        name,
        `at ${hhmm(at)} ${DEEP_LINK} served the fallback page (${page.status}) in ${Math.round(page.ms)} ms, no third-party resources`,
      );
    }
    const back: string[] = [];
    if (!this.end.originDown) {
      const home = await get(`${this.siteUrl}/`);
      if (home.status !== 200 || home.body.includes(FALLBACK_HEADLINE)) {
        return fail(
          name,
          `at ${hhmm(at)} the origin is healthy but / answered ${home.status}${home.body.includes(FALLBACK_HEADLINE) ? ' with the fallback page' : ''}`,
        );
      }
      back.push('the site');
    }
    if (!this.end.flagOn) {
      const bootstrap = await get(script);
      if (bootstrap.body !== REAL_BOOTSTRAP)
        return fail(name, `at ${hhmm(at)} the flag is off but the bootstrap path still served the stub`);
      back.push('the real Messenger bootstrap');
    }
    const still = [
      this.end.flagOn ? 'tier 3 is still on' : '',
      this.end.originDown ? 'the origin is still down' : '',
    ].filter(Boolean);
    return pass(
      name,
      `at ${hhmm(at)} ${back.join(' and ')} served again${still.length ? ` (${still.join(', ')} at the end of the drill)` : ''}`,
    );
  }

  private async inBrowser(browser: Browser, moment: VisitorMoment, at: string): Promise<DrillCheck> {
    const name = `visitor ${moment} (browser)`;
    // A fresh context per moment (no cookies carried over). Contexts stay open until the browser closes:
    // the packaged Chromium runs single-process, where closing a context can take the browser with it.
    const context = await browser.newContext({ viewport: { width: 800, height: 480 } });
    context.setDefaultTimeout(5_000);
    {
      const page = await context.newPage();
      const seen: string[] = [];
      page.on('request', (r) => seen.push(r.url()));
      const shot = async (caption: string) =>
        this.screenshots.push({ moment, at, caption, png: (await page.screenshot()).toString('base64') });
      if (moment === 'flag-on') {
        await page.goto(`${this.siteUrl}/`);
        const notice = page.getByRole('status');
        await notice.waitFor();
        const text = (await notice.textContent()) ?? '';
        const buttons = await page.locator('[data-cx-chat-button]').count();
        const launcher = await page.locator('#genesys-messenger-launcher').count();
        await shot('Tier 3: the chat button replaced by the capacity notice');
        if (!text.includes(EDGE_DEFAULTS.message) || buttons !== 0 || launcher !== 0) {
          return fail(
            name,
            `notice "${text.slice(0, 60)}", chat buttons left ${buttons}, Messenger launchers ${launcher}`,
          );
        }
        await context.addCookies([{ name: EDGE_DEFAULTS.sessionCookieName, value: '1', url: this.siteUrl }]);
        const chatting = await context.newPage();
        await chatting.goto(`${this.siteUrl}/`);
        await chatting.locator('#genesys-messenger-launcher').waitFor();
        const notices = await chatting.locator('[data-cx-surge-notice]').count();
        if (notices !== 0) return fail(name, 'a visitor with a running conversation got the capacity notice');
        return pass(
          name,
          `at ${hhmm(at)} Chromium showed the capacity notice in place of the chat button; a running conversation kept the real Messenger`,
        );
      }
      if (moment === 'origin-down') {
        const started = performance.now();
        const response = await page.goto(`${this.siteUrl}${DEEP_LINK}`, { waitUntil: 'load' });
        const ms = performance.now() - started;
        const headline = (await page.locator('h1').textContent()) ?? '';
        await shot('Tier 4: the static fallback page while the origin is down');
        const foreign = seen.filter((u) => !u.startsWith(this.siteUrl));
        if (headline !== FALLBACK_HEADLINE)
          return fail(name, `${DEEP_LINK} showed "${headline}" (status ${response?.status()})`);
        if (ms > FALLBACK_BUDGET_MS)
          return fail(
            name,
            `the fallback page loaded in ${Math.round(ms)} ms (budget ${FALLBACK_BUDGET_MS} ms)`,
          );
        if (foreign.length > 0)
          return fail(name, `the fallback page requested third parties: ${foreign.join(', ')}`);
        return pass(
          name,
          `at ${hhmm(at)} Chromium loaded the fallback page at ${DEEP_LINK} in ${Math.round(ms)} ms with ${seen.length} requests, all to the site itself`,
        );
      }
      if (this.end.originDown)
        return { name, status: 'not-exercised', detail: 'the origin is still down at the end of the drill' };
      await page.goto(`${this.siteUrl}/`);
      const headline = (await page.locator('h1').textContent()) ?? '';
      if (this.end.flagOn) await page.getByRole('status').waitFor();
      else await page.locator('#genesys-messenger-launcher').waitFor();
      const notices = await page.locator('[data-cx-surge-notice]').count();
      await shot(
        this.end.flagOn
          ? 'End of the drill: the site is back, tier 3 still on'
          : 'After recovery: the site and the real Messenger are back',
      );
      if (headline !== 'Flash sale' || notices !== (this.end.flagOn ? 1 : 0)) {
        return fail(name, `at the end / showed "${headline}" with ${notices} capacity notice(s)`);
      }
      return pass(
        name,
        `at ${hhmm(at)} Chromium showed the site${this.end.flagOn ? ' (tier 3 still on: capacity notice)' : ' and the real Messenger launcher'} again`,
      );
    }
  }

  async close(): Promise<void> {
    const b = await this.browser;
    if (b && typeof b !== 'string') await b.close();
  }
}
