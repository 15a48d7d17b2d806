// The only module that uses purecloud-platform-client-v2, through deep imports of the classes we use
// (./genesys-sdk): the package's default export pulls in all 87 API classes (~2 MB).
import { createRequire } from 'node:module';
import { ConfigError } from '../../core/errors';
import {
  AnalyticsApi,
  ApiClient,
  ArchitectApi,
  DefaultHttpClient,
  PureCloudRegionHosts,
} from './genesys-sdk';

/** Where login and API calls go instead of the region's hosts (the emulator, a proxy). */
export interface GatewayOptions {
  readonly host: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
}

export interface Sdk {
  readonly client: ApiClient;
  readonly analytics: AnalyticsApi;
  readonly architect: ArchitectApi;
}

/** What every SDK call resolves or rejects with once extended responses are on. */
export interface ExtendedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
}

export const REGION_HOSTS: Readonly<Record<string, string>> = PureCloudRegionHosts;

/** `us_east_1` → `mypurecloud.com`; a bad key is a config error naming `genesys.region`. */
export function regionHost(region: string): string {
  const host = REGION_HOSTS[region];
  if (!host) {
    throw new ConfigError(
      'genesys.region',
      `unknown region '${region}' (one of: ${Object.keys(REGION_HOSTS).join(', ')})`,
    );
  }
  return host;
}

/** Accepts `http://127.0.0.1:8080` or a GatewayOptions object. */
export function parseGateway(gateway: string | GatewayOptions): GatewayOptions {
  if (typeof gateway !== 'string') return gateway;
  let url: URL;
  try {
    url = new URL(gateway);
  } catch {
    throw new ConfigError('gateway', `'${gateway}' is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('gateway', `protocol must be http or https, got '${url.protocol}'`);
  }
  return {
    host: url.hostname,
    protocol: url.protocol === 'http:' ? 'http' : 'https',
    ...(url.port ? { port: Number(url.port) } : {}),
  };
}

/**
 * The SDK's src modules are ESM yet call `require('os' | 'fs' | 'winston' | 'configparser')` inside their
 * constructors. Bundled as CJS (the Lambda) `require` exists; run as ESM (tsx, vitest, the drill) it does
 * not, so lend one for the synchronous construction only and take it back.
 */
function withNodeRequire<T>(build: () => T): T {
  if (typeof require === 'function') return build();
  const global = globalThis as { require?: unknown };
  global.require = createRequire(import.meta.url);
  try {
    return build();
  } finally {
    delete global.require;
  }
}

/**
 * One ApiClient per call site (never the SDK's singleton): no config-file watching, no SDK logging
 * (it would log Authorization headers at trace level), extended responses so status and headers
 * (Retry-After) survive, and our own per-call timeout.
 */
export function createSdk(options: { region: string; gateway?: GatewayOptions; timeoutMs: number }): Sdk {
  const environment = regionHost(options.region);
  const client = withNodeRequire(() => {
    const c = new ApiClient();
    c.config.live_reload_config = false;
    c.config.logger.log_level = 'none';
    c.config.logger.log_to_console = false;
    c.config.logger.setLogger();
    return c;
  });
  client.setEnvironment(environment);
  // setGateway() with no argument clears any gateway a ~/.genesyscloudjavascript/config file may have set.
  client.setGateway(options.gateway ? { protocol: 'https', ...options.gateway } : undefined);
  client.setReturnExtendedResponses(true);
  client.timeout = options.timeoutMs;
  client.setHttpClient(new DefaultHttpClient(options.timeoutMs));
  return { client, analytics: new AnalyticsApi(client), architect: new ArchitectApi(client) };
}
