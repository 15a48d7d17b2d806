// OAuth client secrets of the CRM endpoints, by Secrets Manager name. The Lambda reads them through
// Powertools Parameters (cached for minutes, re-read after a rejected login); drills and tests hold
// them in memory. Values are never logged: errors name the secret only.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { CredentialsError } from '../../core/errors';
import type { ClientCredentials } from '../../core/ports';
import { parseClientCredentials } from '../secrets/client-credentials';

export interface CrmSecrets {
  get(secretName: string, options?: { forceRefresh?: boolean }): Promise<ClientCredentials>;
}

export class SecretsManagerCrmSecrets implements CrmSecrets {
  private provider: SecretsProvider | undefined;
  private readonly lastGood = new Map<string, ClientCredentials>();

  constructor(private readonly options: { provider?: SecretsProvider; maxAgeSeconds?: number } = {}) {
    this.provider = options.provider;
  }

  async get(secretName: string, options: { forceRefresh?: boolean } = {}): Promise<ClientCredentials> {
    this.provider ??= new SecretsProvider();
    try {
      const raw = await this.provider.get(secretName, {
        maxAge: this.options.maxAgeSeconds ?? 300,
        forceFetch: options.forceRefresh === true,
      });
      if (raw === undefined) throw new CredentialsError(secretName, 'has no value');
      const credentials = parseClientCredentials(secretName, raw);
      this.lastGood.set(secretName, credentials);
      return credentials;
    } catch (error) {
      // A Secrets Manager hiccup must not blank the screen pop: serve the last good value.
      const cached = this.lastGood.get(secretName);
      if (cached) return cached;
      if (error instanceof CredentialsError) throw error;
      throw new CredentialsError(secretName, 'could not be read from Secrets Manager', { cause: error });
    }
  }
}

/** Secrets held in memory (drills, tests, `cx-surge crm lookup` against the stand-ins). */
export class InMemoryCrmSecrets implements CrmSecrets {
  constructor(private readonly secrets: Readonly<Record<string, ClientCredentials>>) {}
  async get(secretName: string): Promise<ClientCredentials> {
    const value = this.secrets[secretName];
    if (!value) throw new CredentialsError(secretName, 'is not known');
    return value;
  }
}
