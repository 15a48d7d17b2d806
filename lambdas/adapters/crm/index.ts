// The CRM adapter: REST endpoints behind OAuth 2 client credentials, the DynamoDB customer cache, the
// secrets they read, and one factory that wires a lookup's dependencies from a validated config.
import type { CrmIncidents, CrmLookupDeps } from '../../app/crm-lookup';
import type { AppLogger } from '../../app/deps';
import type { CrmConfig } from '../../core/crm/config';
import type { CrmBreakers } from '../../core/crm/ports';
import type { Clock } from '../../core/ports';
import type { StateTable } from '../dynamodb/items';
import { DynamoCustomerCache } from './dynamo-cache';
import { fetchTransport, type HttpTransport } from './http';
import { type EndpointEvent, RestCrmEndpoint } from './rest-crm';
import type { CrmSecrets } from './secrets';

export { CRM_CACHE_PREFIX, CRM_CACHE_SORT_KEY, DynamoCustomerCache } from './dynamo-cache';
export {
  fetchTransport,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  HttpTimeoutError,
  type HttpTransport,
} from './http';
export { InMemoryCrmBreakers } from './in-memory-breakers';
export { type EndpointEvent, RestCrmEndpoint, type RestCrmEndpointOptions } from './rest-crm';
export { type CrmSecrets, InMemoryCrmSecrets, SecretsManagerCrmSecrets } from './secrets';

export interface CrmAdapterOptions {
  readonly config: CrmConfig;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly secrets: CrmSecrets;
  readonly table: StateTable;
  readonly breakers: CrmBreakers;
  readonly log: AppLogger;
  readonly incidents?: CrmIncidents;
  /** @default fetchTransport */
  readonly transport?: HttpTransport;
  readonly onEvent?: (event: EndpointEvent) => void;
}

export interface CrmAdapter {
  readonly deps: CrmLookupDeps;
  readonly primary: RestCrmEndpoint;
  readonly secondary?: RestCrmEndpoint;
}

/** The lookup's dependencies over the REST endpoints and the DynamoDB cache. Build once per container. */
export function createCrmAdapter(options: CrmAdapterOptions): CrmAdapter {
  const { config, clock } = options;
  const transport = options.transport ?? fetchTransport;
  const common = {
    secrets: options.secrets,
    clock,
    transport,
    tokenRefreshMarginMs: config.tokenRefreshMarginSeconds * 1000,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  };
  const primary = new RestCrmEndpoint({ ...common, endpoint: 'primary', config: config.primary });
  const secondary = config.secondary
    ? new RestCrmEndpoint({ ...common, endpoint: 'secondary', config: config.secondary })
    : undefined;
  const cache = new DynamoCustomerCache(options.table, config.cacheTtlSeconds, (operation, error) =>
    options.log.warn(`crm cache ${operation} failed`, {
      error: error instanceof Error ? error.name : String(error),
    }),
  );
  return {
    primary,
    ...(secondary ? { secondary } : {}),
    deps: {
      config,
      clock,
      sleep: options.sleep,
      primary,
      ...(secondary ? { secondary } : {}),
      cache,
      breakers: options.breakers,
      ...(options.incidents ? { incidents: options.incidents } : {}),
      log: options.log,
    },
  };
}
export {
  CRM_CLIENT_ERRORS_PARTITION,
  DynamoCrmIncidents,
  type DynamoCrmIncidentsOptions,
} from './dynamo-incidents';
export { InMemoryCustomerCache } from './in-memory-cache';
export { CRM_PRIMARY_BREAKER, CRM_SECONDARY_BREAKER, SharedCrmBreakers } from './shared-breakers';
