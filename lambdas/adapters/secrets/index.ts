export { parseClientCredentials } from './client-credentials';
export {
  SecretsManagerCredentialsSource,
  type SecretsManagerCredentialsSourceOptions,
} from './secrets-manager-credentials';
