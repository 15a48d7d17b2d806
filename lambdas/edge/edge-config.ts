// What the edge tiers agree on: the flag the controller flips and the CloudFront Function reads, and the
// texts and links of the Tier 3 stub. Shared by the CDK construct (lib/edge), the cloudfront-kvs actuator,
// the `cx-surge edge` CLI and the tests, so a default changes in one place.

export const EDGE_DEFAULTS = {
  /** Path of the Messenger bootstrap script as the site loads it through the distribution. */
  messengerScriptPath: '/genesys-bootstrap/genesys.min.js',
  /** KeyValueStore key holding the Tier 3 flag. */
  flagKey: 'chat-widget-throttle',
  /** Flag value that turns the stub on; any other value (or none) means "serve the real script". */
  flagOnValue: 'on',
  flagOffValue: 'off',
  /** Cookie the site sets while a visitor has a conversation; its presence keeps the real Messenger. */
  sessionCookieName: 'cx_chat_session',
  /** Elements the stub replaces with the notice; without a match it shows a corner notice instead. */
  chatButtonSelector: '[data-cx-chat-button]',
  message: 'Chat is at capacity right now.',
  detail: 'Our team is helping many customers at the moment. You can still reach us:',
  emailLabel: 'E-mail',
  faqLabel: 'Read our FAQ',
  dismissLabel: 'Dismiss chat capacity notice',
} as const;

/** CloudFront Functions quota: maximum function size (code as uploaded), 10 KB. */
export const CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024;

/** CloudFront KeyValueStore limits (key up to 512 bytes, value up to 1 KB). */
export const KVS_MAX_KEY_BYTES = 512;
export const KVS_MAX_VALUE_BYTES = 1024;

export interface StubOptions {
  /** Headline, e.g. "Chat is at capacity right now." */
  readonly message?: string;
  /** Second line under the headline; empty string to omit. */
  readonly detail?: string;
  /** Support e-mail address shown as a mailto: link; empty string to omit. */
  readonly email: string;
  /** FAQ / help-centre URL; empty string to omit. */
  readonly faqUrl: string;
  readonly emailLabel?: string;
  readonly faqLabel?: string;
  readonly dismissLabel?: string;
  /** CSS selector of the site's own chat button(s) to replace. */
  readonly chatButtonSelector?: string;
}

export interface WidgetThrottleOptions {
  readonly messengerScriptPath?: string;
  readonly flagKey?: string;
  readonly flagOnValue?: string;
  readonly sessionCookieName?: string;
  readonly stub: StubOptions;
}

/**
 * The Tier 4 origin health signal as lib/edge deploys it, shared with the drill's alarm model so both
 * say the same thing: Route 53 probes the origin every 30 s (3 failures = unhealthy), and the alarm on
 * `HealthCheckStatus` (Minimum, 1 min) goes to ALARM when 2 of the last 2 minutes are unhealthy.
 */
export const ORIGIN_HEALTH_SIGNAL = {
  requestIntervalSeconds: 30,
  failureThreshold: 3,
  periodSeconds: 60,
  evaluationPeriods: 2,
  datapointsToAlarm: 2,
} as const;
