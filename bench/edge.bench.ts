// Edge figures: how much of the 10 KB CloudFront Function quota the Tier 3 function uses, and how long
// its handler takes per request under Node (an upper-bound proxy for CloudFront's compute utilization,
// which only the CloudFront console's TestFunction reports exactly).
import { CLOUDFRONT_FUNCTION_MAX_BYTES, EDGE_DEFAULTS } from '../lambdas/edge/edge-config';
import { kvsHandleFrom, loadViewerRequestFunction, viewerRequestEvent } from '../lambdas/edge/local-runtime';
import { renderStubScript, renderWidgetThrottleFunction } from '../lambdas/edge/render';

export async function run(): Promise<void> {
  const stub = { email: 'help@example.com', faqUrl: 'https://example.com/faq' };
  const code = renderWidgetThrottleFunction({ stub });
  const bytes = Buffer.byteLength(code, 'utf8');
  console.log(
    `function size: ${bytes} B of ${CLOUDFRONT_FUNCTION_MAX_BYTES} B quota (${((100 * bytes) / CLOUDFRONT_FUNCTION_MAX_BYTES).toFixed(0)}%)`,
  );
  console.log(`stub script:   ${Buffer.byteLength(renderStubScript(stub), 'utf8')} B`);

  let flag = 'on';
  const handler = loadViewerRequestFunction(code, () => kvsHandleFrom(() => flag));
  for (const [label, uri, value] of [
    ['bootstrap, flag on (stub)', EDGE_DEFAULTS.messengerScriptPath, 'on'],
    ['bootstrap, flag off (pass)', EDGE_DEFAULTS.messengerScriptPath, 'off'],
    ['other path (pass)', '/index.html', 'on'],
  ] as const) {
    flag = value;
    const n = 20_000;
    for (let i = 0; i < 1_000; i++) await handler(viewerRequestEvent(uri));
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await handler(viewerRequestEvent(uri));
    const perCallUs = Number(process.hrtime.bigint() - start) / n / 1_000;
    console.log(`handler ${label.padEnd(28)} ${perCallUs.toFixed(2)} µs/request (Node, ${n} requests)`);
  }
}
