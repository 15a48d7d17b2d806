import cf from 'cloudfront';

// Tier 3 (widget throttling), CloudFront Function, runtime cloudfront-js-2.0, viewer request.
// When the surge flag in the associated KeyValueStore is on, the Messenger bootstrap script is answered
// at the edge with a small stub that shows "chat is at capacity" instead of the chat button.
// Everything else passes through untouched, and so does every failure (fail open: the worst a broken
// flag can do is leave chat as it was).
// Rules of this runtime: no require, no timers, no eval; top-level async handler only; 10 KB in total.
// `__SURGE_EDGE_CONFIG__` is replaced at synth time by renderWidgetThrottleFunction() with a JSON object.
const CONFIG = __SURGE_EDGE_CONFIG__;

// biome-ignore lint/correctness/noUnusedVariables: the runtime calls `handler` by name.
async function handler(event) {
  const request = event.request;
  if (request.uri !== CONFIG.scriptPath || request.method !== 'GET') {
    return request;
  }
  // A visitor already chatting keeps the real Messenger on every page (cookie set by the site, see docs/edge.md).
  // biome-ignore lint/complexity/useOptionalChain: optional chaining is not in the cloudfront-js-2.0 runtime.
  if (request.cookies && request.cookies[CONFIG.sessionCookie]) {
    return request;
  }
  let flag;
  try {
    flag = await cf.kvs().get(CONFIG.flagKey);
  } catch (_err) {
    // Missing key, KVS not associated or unavailable: serve the real script.
    return request;
  }
  if (flag !== CONFIG.flagOnValue) {
    return request;
  }
  return stubResponse();
}

function stubResponse() {
  return {
    statusCode: 200,
    statusDescription: 'OK',
    headers: {
      'content-type': { value: 'application/javascript; charset=utf-8' },
      // The flag can go off any minute: no browser, proxy or CDN may keep the stub.
      'cache-control': { value: 'no-store, max-age=0' },
      'cdn-cache-control': { value: 'no-store' },
      'x-content-type-options': { value: 'nosniff' },
      'x-cx-surge': { value: 'tier3-stub' },
    },
    body: { encoding: 'text', data: CONFIG.stub },
  };
}
