// One call budget for every AWS SDK client the controller builds (docs/resilience.md#call-budgets):
// connect within 1 s, answer within 3 s. Without it a hung DynamoDB, SNS, EventBridge, Secrets Manager or
// KeyValueStore call is bounded only by the 60 s Lambda timeout, which also holds an actuator's lease.

/** TCP (and TLS) connection must be up within this. */
export const AWS_CONNECTION_TIMEOUT_MS = 1_000;
/** A request with no answer for this long fails (the SDK then retries it like any transient error). */
export const AWS_REQUEST_TIMEOUT_MS = 3_000;

/** Constructor options that bound every call of one AWS SDK v3 client. */
export interface BoundedClientConfig {
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: true;
  };
}

/**
 * Config for `new XxxClient(awsClientConfig({ ... }))`: the call budget plus whatever the caller adds
 * (endpoint, region, credentials, maxAttempts). The SDK builds its Node HTTP handler from the plain
 * `requestHandler` options, so no handler package is imported here.
 */
export function awsClientConfig<T extends object>(extra: T = {} as T): T & BoundedClientConfig {
  return {
    ...extra,
    requestHandler: {
      connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: AWS_REQUEST_TIMEOUT_MS,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
