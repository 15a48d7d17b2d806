// `cx-surge edge warm|verify`: checks the deployed edge the week before an event. Fetches the Tier 4 fallback
// files and the Tier 3 bootstrap path through the distribution and reports, per path, the status, what was
// served, CloudFront's cache status (X-Cache) and the time it took. `warm` fetches the fallback files until
// the edge location that answers holds them (a second fetch should be a Hit); `verify` fetches once and
// checks. Both only read (GET) and never touch the origin's state.
import { EDGE_DEFAULTS } from '../../lambdas/edge/edge-config';
import { FALLBACK_PAGE, FALLBACK_STATUS_FILE } from '../../lambdas/edge/fallback-site';
import { UsageError } from './io';

/** The fallback site's files, served from the bucket by their own cache behaviour (docs/edge.md). */
export const FALLBACK_FILES = [
  `/${FALLBACK_PAGE}`,
  '/support-fallback.css',
  '/support-fallback.js',
  `/${FALLBACK_STATUS_FILE}`,
] as const;

/** Budget for one fallback fetch at the edge (the README promises the page within 1 s). */
export const EDGE_FETCH_BUDGET_MS = 1000;

export interface EdgeFetch {
  readonly path: string;
  readonly status: number;
  /** CloudFront's X-Cache header, e.g. "Hit from cloudfront"; null when absent. */
  readonly xCache: string | null;
  readonly ms: number;
  /** `fallback`, `stub` (Tier 3 on), `messenger` (the real bootstrap), or `other`. */
  readonly served: 'fallback' | 'stub' | 'messenger' | 'other';
  readonly bytes: number;
}

export interface EdgeVerdict {
  readonly path: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** `d111.cloudfront.net` → `https://d111.cloudfront.net`; `--base-url` wins (local stand-ins, tests). */
export function edgeBaseUrl(domain: string | undefined, baseUrl: string | undefined): string {
  if (baseUrl !== undefined) {
    if (!/^https?:\/\/[^/\s]+$/.test(baseUrl.replace(/\/$/, ''))) {
      throw new UsageError(`--base-url must be http(s)://host[:port] with no path, got '${baseUrl}'`);
    }
    return baseUrl.replace(/\/$/, '');
  }
  if (domain === undefined) throw new UsageError('--distribution-domain is required (or --base-url)');
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(domain)) {
    throw new UsageError(
      `--distribution-domain must be a host name like d111111abcdef8.cloudfront.net, got '${domain}'`,
    );
  }
  return `https://${domain}`;
}

const servedAs = (path: string, headers: Headers, body: string): EdgeFetch['served'] => {
  if (headers.get('x-cx-surge') === 'tier3-stub') return 'stub';
  if (path === EDGE_DEFAULTS.messengerScriptPath)
    return body.includes('Our website is having problems') ? 'fallback' : 'messenger';
  if ((FALLBACK_FILES as readonly string[]).includes(path)) return 'fallback';
  return body.includes('Our website is having problems') ? 'fallback' : 'other';
};

export async function fetchAtEdge(
  baseUrl: string,
  path: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 10_000,
): Promise<EdgeFetch> {
  const started = performance.now();
  // Browsers send these; the fallback cache policy keys on the normalised encoding, so warm what they ask for.
  const res = await fetchImpl(`${baseUrl}${path}`, {
    headers: { 'accept-encoding': 'gzip, br', 'user-agent': 'cx-surge-edge-check' },
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.text();
  return {
    path,
    status: res.status,
    xCache: res.headers.get('x-cache'),
    ms: Math.round(performance.now() - started),
    served: servedAs(path, res.headers, body),
    bytes: Buffer.byteLength(body),
  };
}

/** Fetches every fallback file until the answering edge location holds it (at most `rounds` times). */
export async function warmEdge(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
  rounds = 3,
): Promise<EdgeFetch[]> {
  const out: EdgeFetch[] = [];
  for (const path of FALLBACK_FILES) {
    for (let i = 0; i < rounds; i++) {
      const f = await fetchAtEdge(baseUrl, path, fetchImpl);
      out.push(f);
      if (f.status !== 200 || /^(Hit|RefreshHit) from cloudfront$/i.test(f.xCache ?? '')) break;
    }
  }
  return out;
}

/** One fetch of every path that matters, with a verdict each. */
export async function verifyEdge(
  baseUrl: string,
  options: { expectFlag?: 'on' | 'off'; fetchImpl?: typeof fetch; budgetMs?: number } = {},
): Promise<{ fetches: EdgeFetch[]; verdicts: EdgeVerdict[] }> {
  const budget = options.budgetMs ?? EDGE_FETCH_BUDGET_MS;
  const fetches: EdgeFetch[] = [];
  const verdicts: EdgeVerdict[] = [];
  for (const path of FALLBACK_FILES) {
    const f = await fetchAtEdge(baseUrl, path, options.fetchImpl);
    fetches.push(f);
    const problems = [
      f.status !== 200 ? `status ${f.status}` : '',
      f.ms > budget ? `${f.ms} ms over the ${budget} ms budget` : '',
      /^(Hit|RefreshHit) from cloudfront$/i.test(f.xCache ?? '')
        ? ''
        : `not cached at this edge (X-Cache: ${f.xCache ?? 'none'}; run cx-surge edge warm)`,
    ].filter(Boolean);
    verdicts.push({
      path,
      ok: problems.length === 0,
      detail: problems.length === 0 ? `${f.status}, ${f.xCache}, ${f.ms} ms` : problems.join('; '),
    });
  }
  const script = await fetchAtEdge(baseUrl, EDGE_DEFAULTS.messengerScriptPath, options.fetchImpl);
  fetches.push(script);
  const flag = script.served === 'stub' ? 'on' : 'off';
  const scriptProblems = [
    script.status !== 200 ? `status ${script.status}` : '',
    script.served === 'fallback'
      ? 'the origin is failing: the bootstrap path fell back to the fallback page'
      : '',
    options.expectFlag && options.expectFlag !== flag
      ? `tier 3 flag is ${flag}, expected ${options.expectFlag}`
      : '',
    script.ms > budget ? `${script.ms} ms over the ${budget} ms budget` : '',
  ].filter(Boolean);
  verdicts.push({
    path: EDGE_DEFAULTS.messengerScriptPath,
    ok: scriptProblems.length === 0,
    detail:
      scriptProblems.length === 0
        ? `${script.served === 'stub' ? 'capacity stub (tier 3 on)' : 'real Messenger bootstrap (tier 3 off)'}, ${script.xCache ?? 'no X-Cache'}, ${script.ms} ms`
        : scriptProblems.join('; '),
  });
  return { fetches, verdicts };
}

export function renderFetches(fetches: readonly EdgeFetch[]): string {
  const width = Math.max(...fetches.map((f) => f.path.length));
  return fetches
    .map(
      (f) =>
        `  ${f.path.padEnd(width)}  ${String(f.status)}  ${(f.xCache ?? '(no X-Cache)').padEnd(42)}  ${String(f.ms).padStart(5)} ms  ${f.served}`,
    )
    .join('\n');
}
