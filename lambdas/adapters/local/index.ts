export { LocalOutboxPager, type LocalOutboxPagerOptions, type LocalPageRecord } from './outbox-file-pager';
export { LocalSecretsFileCredentialsSource, type LocalSecretsFileOptions } from './secrets-file-credentials';
