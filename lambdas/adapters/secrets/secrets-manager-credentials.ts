import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CredentialsError } from '../../core/errors';
import type { ClientCredentials, CredentialsSource } from '../../core/ports';
import { awsClientConfig } from '../aws/client-config';
import { parseClientCredentials } from './client-credentials';

export interface SecretsManagerCredentialsSourceOptions {
  /** Name or ARN of the `{ clientId, clientSecret }` secret of the normal OAuth client. */
  readonly primarySecret: string;
  /** Name or ARN of the break-glass OAuth client's secret; absent = no break-glass. */
  readonly breakGlassSecret?: string;
  /** Bring your own (e.g. with a configured `awsSdkV3Client`); built lazily by default. */
  readonly provider?: SecretsProvider;
  /** Cache lifetime in the warm Lambda. @default 300 */
  readonly maxAgeSeconds?: number;
  /**
   * Called when Secrets Manager failed (or returned a malformed value) and the last good credentials
   * were served instead. Log or count it; the error never contains the secret's value.
   */
  readonly onStaleServed?: (secretName: string, error: unknown) => void;
}

/**
 * Genesys OAuth client credentials from Secrets Manager through Powertools Parameters: cached for
 * minutes, re-fetched on `forceRefresh` (after a 401). Once a secret has been read, an outage of Secrets
 * Manager or a broken new value does not take the controller down: the last good value keeps being served.
 */
export class SecretsManagerCredentialsSource implements CredentialsSource {
  private readonly lastGood = new Map<string, ClientCredentials>();
  private providerInstance: SecretsProvider | undefined;
  private readonly maxAgeSeconds: number;

  constructor(private readonly options: SecretsManagerCredentialsSourceOptions) {
    if (!options.primarySecret) throw new TypeError('primarySecret: must be a non-empty secret name or ARN');
    this.providerInstance = options.provider;
    this.maxAgeSeconds = options.maxAgeSeconds ?? 300;
  }

  async get(
    which: 'primary' | 'breakGlass',
    options: { forceRefresh?: boolean } = {},
  ): Promise<ClientCredentials | undefined> {
    const name = which === 'primary' ? this.options.primarySecret : this.options.breakGlassSecret;
    if (!name) return undefined;
    try {
      const raw = await this.provider().get(name, {
        maxAge: this.maxAgeSeconds,
        forceFetch: options.forceRefresh === true,
      });
      if (raw === undefined) throw new CredentialsError(name, 'has no SecretString or SecretBinary value');
      const credentials = parseClientCredentials(name, raw);
      this.lastGood.set(name, credentials);
      return credentials;
    } catch (error) {
      const cached = this.lastGood.get(name);
      if (cached) {
        this.options.onStaleServed?.(name, error);
        return cached;
      }
      if (error instanceof CredentialsError) throw error;
      throw new CredentialsError(name, 'could not be read from Secrets Manager', { cause: error });
    }
  }

  private provider(): SecretsProvider {
    // Our client, not Powertools' default, so Secrets Manager calls get the 1 s / 3 s call budget too.
    this.providerInstance ??= new SecretsProvider({
      awsSdkV3Client: new SecretsManagerClient(awsClientConfig()),
    });
    return this.providerInstance;
  }
}
