// The Genesys SDK classes the adapter uses, in one module. The controller's Lambda bundles leave it out
// and ship it as a file of its own next to the handler (lib/controller-function.ts: GENESYS_SDK_FILE),
// which Node loads on the first Genesys call: a cold start that calls no Genesys API (most evaluations)
// never reads or compiles the SDK and axios, about half of the bundle (docs/architecture.md#cold-start).
// Run from source (tsx, vitest, the drill), it is an ordinary module.
export { default as ApiClient } from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/ApiClient.js';
export { default as AnalyticsApi } from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/api/AnalyticsApi.js';
export { default as ArchitectApi } from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/api/ArchitectApi.js';
export { default as DefaultHttpClient } from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/DefaultHttpClient.js';
export { default as PureCloudRegionHosts } from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/PureCloudRegionHosts.js';
