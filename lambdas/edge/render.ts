// Renders the edge artefacts from their templates: the Tier 3 stub script and the CloudFront Function
// that serves it. The CDK construct deploys exactly what these return, and the tests run exactly that.
import { readFileSync } from 'node:fs';
import {
  CLOUDFRONT_FUNCTION_MAX_BYTES,
  EDGE_DEFAULTS,
  type StubOptions,
  type WidgetThrottleOptions,
} from './edge-config';
import { EdgeConfigError } from './errors';

const template = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

/** Drops comment-only lines and indentation: the function ships inside a 10 KB quota. */
function compact(source: string): string {
  return source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n');
}

function requireText(value: string, field: string): string {
  if (typeof value !== 'string') throw new EdgeConfigError(field, 'must be a string');
  return value;
}

function checkUrl(value: string, field: string): void {
  if (value === '') return;
  if (!/^(https:\/\/|\/)/.test(value))
    throw new EdgeConfigError(field, `must be an https:// URL or a /path, got '${value}'`);
}

/** The browser script that replaces the chat button while the flag is on. */
export function renderStubScript(options: StubOptions): string {
  const email = requireText(options.email, 'stub.email');
  if (email !== '' && !/^[^\s@<>"']+@[^\s@<>"']+$/.test(email)) {
    throw new EdgeConfigError('stub.email', `'${email}' is not an e-mail address`);
  }
  const faqUrl = requireText(options.faqUrl, 'stub.faqUrl');
  checkUrl(faqUrl, 'stub.faqUrl');
  const config = {
    message: options.message ?? EDGE_DEFAULTS.message,
    detail: options.detail ?? EDGE_DEFAULTS.detail,
    email,
    emailLabel: options.emailLabel ?? EDGE_DEFAULTS.emailLabel,
    faqUrl,
    faqLabel: options.faqLabel ?? EDGE_DEFAULTS.faqLabel,
    dismissLabel: options.dismissLabel ?? EDGE_DEFAULTS.dismissLabel,
    buttonSelector: options.chatButtonSelector ?? EDGE_DEFAULTS.chatButtonSelector,
  };
  if (config.message.trim() === '') throw new EdgeConfigError('stub.message', 'must not be empty');
  // JSON is a valid JS expression; escaping '<' keeps the literal inert if someone ever inlines the script.
  const literal = JSON.stringify(config).replace(/</g, '\\u003c');
  return compact(template('chat-capacity-stub.js')).replace('__SURGE_STUB_CONFIG__', () => literal);
}

/** The CloudFront Function source (cloudfront-js-2.0), ready for `FunctionCode.fromInline`. */
export function renderWidgetThrottleFunction(options: WidgetThrottleOptions): string {
  const scriptPath = options.messengerScriptPath ?? EDGE_DEFAULTS.messengerScriptPath;
  if (!scriptPath.startsWith('/') || /[\s?#*]/.test(scriptPath)) {
    throw new EdgeConfigError(
      'messengerScriptPath',
      `must be an absolute path without query or wildcards, got '${scriptPath}'`,
    );
  }
  const sessionCookie = options.sessionCookieName ?? EDGE_DEFAULTS.sessionCookieName;
  if (!/^[A-Za-z0-9_-]+$/.test(sessionCookie)) {
    throw new EdgeConfigError('sessionCookieName', `must be a plain cookie name, got '${sessionCookie}'`);
  }
  const config = {
    scriptPath,
    flagKey: options.flagKey ?? EDGE_DEFAULTS.flagKey,
    flagOnValue: options.flagOnValue ?? EDGE_DEFAULTS.flagOnValue,
    sessionCookie,
    stub: renderStubScript(options.stub),
  };
  const code = compact(template('widget-throttle.function.js')).replace('__SURGE_EDGE_CONFIG__', () =>
    JSON.stringify(config),
  );
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > CLOUDFRONT_FUNCTION_MAX_BYTES) {
    throw new EdgeConfigError(
      'stub',
      `the rendered CloudFront Function is ${bytes} bytes, over the ${CLOUDFRONT_FUNCTION_MAX_BYTES}-byte quota; shorten the stub texts`,
    );
  }
  return code;
}
