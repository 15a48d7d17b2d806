import { describe, expect, it } from 'vitest';
import { EDGE_DEFAULTS } from '../../../lambdas/edge/edge-config';
import {
  isGeneratedResponse,
  type KvsHandle,
  kvsHandleFrom,
  loadViewerRequestFunction,
  responseBodyText,
  viewerRequestEvent,
} from '../../../lambdas/edge/local-runtime';
import { renderWidgetThrottleFunction } from '../../../lambdas/edge/render';

const BOOTSTRAP = EDGE_DEFAULTS.messengerScriptPath;
const code = renderWidgetThrottleFunction({
  stub: { email: 'help@example.com', faqUrl: 'https://example.com/faq' },
});

const flagIs = (value: string | undefined) => () =>
  kvsHandleFrom((key) => (key === EDGE_DEFAULTS.flagKey ? value : undefined));
const kvsReadFails = () => (): KvsHandle => ({
  get: async () => {
    throw new Error('KVS unavailable');
  },
});
const kvsNotAssociated = () => (): KvsHandle => {
  throw new Error('no key value store associated with this function');
};

describe('widget-throttle CloudFront Function', () => {
  // Prepare: every combination that must pass the request through untouched (fail open included).
  it.each([
    ['flag on, other path', flagIs('on'), '/index.html'],
    ['flag on, path that only starts like the bootstrap', flagIs('on'), `${BOOTSTRAP}.map`],
    ['flag off, bootstrap path', flagIs('off'), BOOTSTRAP],
    ['flag off, other path', flagIs('off'), '/index.html'],
    ['flag key missing, bootstrap path', flagIs(undefined), BOOTSTRAP],
    ['flag with an unknown value, bootstrap path', flagIs('ON '), BOOTSTRAP],
    ['KVS read error, bootstrap path', kvsReadFails(), BOOTSTRAP],
    ['KVS not associated, bootstrap path', kvsNotAssociated(), BOOTSTRAP],
  ])('passes the request through when %s', async (_case, kvs, uri) => {
    const handler = loadViewerRequestFunction(code, kvs);
    const event = viewerRequestEvent(uri);

    const result = await handler(event);

    expect(isGeneratedResponse(result)).toBe(false);
    expect(result).toBe(event.request);
  });

  it('answers the bootstrap script with the stub when the flag is on', async () => {
    const handler = loadViewerRequestFunction(code, flagIs('on'));

    const result = await handler(viewerRequestEvent(BOOTSTRAP));

    if (!isGeneratedResponse(result)) throw new Error('expected a generated response');
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']?.value).toMatch(/^application\/javascript/);
    const body = responseBodyText(result);
    expect(body).toContain('Chat is at capacity right now.');
    expect(body).toContain('help@example.com');
    expect(body).toContain('https://example.com/faq');
  });

  it('forbids browsers and CDNs to keep the stub', async () => {
    const handler = loadViewerRequestFunction(code, flagIs('on'));

    const result = await handler(viewerRequestEvent(BOOTSTRAP));

    if (!isGeneratedResponse(result)) throw new Error('expected a generated response');
    expect(result.headers?.['cache-control']?.value).toContain('no-store');
    expect(result.headers?.['cache-control']?.value).toContain('max-age=0');
    expect(result.headers?.['cdn-cache-control']?.value).toBe('no-store');
  });

  it('keeps the real Messenger for a visitor who is already chatting', async () => {
    const handler = loadViewerRequestFunction(code, flagIs('on'));
    const event = viewerRequestEvent(BOOTSTRAP, { cookies: { [EDGE_DEFAULTS.sessionCookieName]: '1' } });

    const result = await handler(event);

    expect(result).toBe(event.request);
  });

  it('answers only GET: other methods reach the origin', async () => {
    const handler = loadViewerRequestFunction(code, flagIs('on'));
    const event = viewerRequestEvent(BOOTSTRAP, { method: 'HEAD' });

    expect(await handler(event)).toBe(event.request);
  });

  it('reads the flag on every request, so a flip takes effect without a redeploy', async () => {
    let flag = 'off';
    const handler = loadViewerRequestFunction(code, () => kvsHandleFrom(() => flag));

    const before = await handler(viewerRequestEvent(BOOTSTRAP));
    flag = 'on';
    const during = await handler(viewerRequestEvent(BOOTSTRAP));
    flag = 'off';
    const after = await handler(viewerRequestEvent(BOOTSTRAP));

    expect([before, during, after].map(isGeneratedResponse)).toEqual([false, true, false]);
  });

  it('honours a configured script path, flag key, on-value and cookie name', async () => {
    const custom = renderWidgetThrottleFunction({
      messengerScriptPath: '/chat/loader.js',
      flagKey: 'tier3',
      flagOnValue: 'throttle',
      sessionCookieName: 'in_chat',
      stub: { email: 'a@b.example', faqUrl: '/help' },
    });
    const handler = loadViewerRequestFunction(custom, () =>
      kvsHandleFrom((k) => (k === 'tier3' ? 'throttle' : undefined)),
    );

    const stubbed = await handler(viewerRequestEvent('/chat/loader.js'));
    const defaultPath = await handler(viewerRequestEvent(BOOTSTRAP));
    const chatting = await handler(viewerRequestEvent('/chat/loader.js', { cookies: { in_chat: 'x' } }));

    expect(isGeneratedResponse(stubbed)).toBe(true);
    expect(isGeneratedResponse(defaultPath)).toBe(false);
    expect(isGeneratedResponse(chatting)).toBe(false);
  });
});
