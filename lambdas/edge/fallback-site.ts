// Renders the Tier 4 static self-service site that the S3 failover origin serves when the customer's
// origin fails: one HTML page, its CSS and JS, and the status JSON ops edit during an outage.
// Every asset URL is absolute (/support-fallback…): the page is served for whatever path failed.
import { readFileSync } from 'node:fs';
import { EdgeConfigError } from './errors';

export interface SelfServiceLink {
  readonly label: string;
  /** https:// URL or a /path. Prefer pages not served by the failing origin (help centre SaaS, status page). */
  readonly href: string;
}

export interface FallbackSiteOptions {
  /** Support e-mail address shown on the page. */
  readonly email: string;
  /** Self-service links, in order. */
  readonly links: readonly SelfServiceLink[];
  /** Shown above the headline and in the title. @default 'Customer support' */
  readonly siteName?: string;
  /** Status line until ops publish one in support-fallback-status.json. */
  readonly status?: string;
}

export const FALLBACK_PAGE = 'support-fallback.html';
export const FALLBACK_STATUS_FILE = 'support-fallback-status.json';
/** Path pattern of every fallback asset: one cache behaviour routes them straight to the bucket. */
export const FALLBACK_PATH_PATTERN = '/support-fallback*';
export const DEFAULT_FALLBACK_STATUS =
  'We are working on it. Most things you need are available through the links below.';

const asset = (name: string): string =>
  readFileSync(new URL(`./fallback-site/${name}`, import.meta.url), 'utf8');

const escapeHtml = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

function checkHref(href: string, field: string): void {
  if (!/^(https:\/\/[^\s]+|\/[^\s]*)$/.test(href))
    throw new EdgeConfigError(field, `must be an https:// URL or a /path, got '${href}'`);
}

/** File name → content of the fallback site, ready for an S3 deployment. */
export function renderFallbackSite(options: FallbackSiteOptions): Record<string, string> {
  if (!/^[^\s@<>"']+@[^\s@<>"']+$/.test(options.email)) {
    throw new EdgeConfigError('fallback.email', `'${options.email}' is not an e-mail address`);
  }
  if (options.links.length === 0)
    throw new EdgeConfigError('fallback.links', 'give at least one self-service link');
  options.links.forEach((l, i) => {
    if (l.label.trim() === '') throw new EdgeConfigError(`fallback.links.${i}.label`, 'must not be empty');
    checkHref(l.href, `fallback.links.${i}.href`);
  });
  const status = options.status ?? DEFAULT_FALLBACK_STATUS;
  const values: Record<string, string> = {
    siteName: escapeHtml(options.siteName ?? 'Customer support'),
    status: escapeHtml(status),
    email: escapeHtml(options.email),
    links: options.links
      .map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a></li>`)
      .join('\n'),
  };
  const html = asset(FALLBACK_PAGE).replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`fallback page template has unknown placeholder {{${name}}}`);
    return value;
  });
  return {
    [FALLBACK_PAGE]: html,
    'support-fallback.css': asset('support-fallback.css'),
    'support-fallback.js': asset('support-fallback.js'),
    [FALLBACK_STATUS_FILE]: `${JSON.stringify({ status, updatedAt: null }, null, 2)}\n`,
  };
}
