// Types for the few purecloud-platform-client-v2 modules the adapter deep-imports (the package's own
// index.d.ts only describes the default export, which drags in all 87 API classes).
// Only what the adapter calls is declared. With setReturnExtendedResponses(true) every call resolves
// (and rejects on HTTP errors) with { status, headers, body }.

declare module 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/AbstractHttpClient.js' {
  export default abstract class AbstractHttpClient {
    timeout: number;
    setTimeout(timeout: number): void;
  }
}

declare module 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/DefaultHttpClient.js' {
  import AbstractHttpClient from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/AbstractHttpClient.js';
  export default class DefaultHttpClient extends AbstractHttpClient {
    constructor(timeout?: number, httpsAgent?: unknown);
  }
}

declare module 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/ApiClient.js' {
  import AbstractHttpClient from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/AbstractHttpClient.js';
  export default class ApiClient {
    config: {
      live_reload_config: boolean;
      logger: { log_level: string; log_to_console: boolean; setLogger(): void };
    };
    timeout: number;
    setEnvironment(environment: string): void;
    setGateway(gateway?: { host: string; protocol?: string; port?: number }): void;
    setReturnExtendedResponses(returnExtended: boolean): void;
    setHttpClient(httpClient: AbstractHttpClient): void;
    setAccessToken(token: string): void;
    loginClientCredentialsGrant(
      clientId: string,
      clientSecret: string,
    ): Promise<{ accessToken: string; tokenExpiryTime: number }>;
    /** The SDK's generic request (what every API class method calls); used for the health probe. */
    callApi(
      path: string,
      httpMethod: string,
      pathParams: object,
      queryParams: object,
      headerParams: object,
      formParams: object,
      bodyParam: unknown,
      authNames: string[],
      contentTypes: string[],
      accepts: string[],
    ): Promise<unknown>;
  }
}

declare module 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/api/AnalyticsApi.js' {
  import ApiClient from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/ApiClient.js';
  export default class AnalyticsApi {
    constructor(apiClient: ApiClient);
    postAnalyticsQueuesObservationsQuery(body: unknown): Promise<unknown>;
  }
}

declare module 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/api/ArchitectApi.js' {
  import ApiClient from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/ApiClient.js';
  export default class ArchitectApi {
    constructor(apiClient: ApiClient);
    getFlowsDatatableRow(
      datatableId: string,
      rowId: string,
      opts?: { showbrief?: boolean },
    ): Promise<unknown>;
    putFlowsDatatableRow(datatableId: string, rowId: string, opts?: { body?: unknown }): Promise<unknown>;
    getArchitectEmergencygroup(emergencyGroupId: string): Promise<unknown>;
    putArchitectEmergencygroup(emergencyGroupId: string, body: unknown): Promise<unknown>;
    getArchitectIvr(ivrId: string): Promise<unknown>;
    putArchitectIvr(ivrId: string, body: unknown): Promise<unknown>;
    getFlow(flowId: string): Promise<unknown>;
    postFlowsActionsPublish(flow: string, opts?: { version?: string }): Promise<unknown>;
  }
}

declare module 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/PureCloudRegionHosts.js' {
  const hosts: Readonly<Record<string, string>>;
  export default hosts;
}
