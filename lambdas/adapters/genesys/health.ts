import type { GenesysSession } from './session';

/** The health probe's budget: one attempt, the per-call timeout, nothing more. */
export const HEALTH_PROBE_BUDGET_MS = 5_000;

/**
 * The `genesys` breaker's probe (docs/resilience.md#health-prober): `GET /api/v2/organizations/me`, the
 * cheapest read-only call there is, one attempt and no retries. Through the generic request of the SDK
 * client, so the bundle needs no extra API class.
 */
export function genesysHealthProbe(session: GenesysSession, now: () => number): () => Promise<unknown> {
  return () =>
    session.call(
      'getOrganizationsMe (health probe)',
      (sdk) =>
        sdk.client.callApi(
          '/api/v2/organizations/me',
          'GET',
          {},
          {},
          {},
          {},
          null,
          ['PureCloud OAuth'],
          ['application/json'],
          ['application/json'],
        ),
      now() + HEALTH_PROBE_BUDGET_MS,
      { maxRetries: 0 },
    );
}
