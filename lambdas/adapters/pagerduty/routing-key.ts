// The PagerDuty routing key lives in Secrets Manager (docs/resilience.md#pagerduty): never in a
// template, an environment variable (only the secret's name is) or a log line.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CredentialsError } from '../../core/errors';
import { awsClientConfig } from '../aws/client-config';
import type { RoutingKeySource } from './events-v2';

/** Accepts the key as the whole secret string, or as `{ "routingKey": "…" }`. Errors never quote it. */
export function parseRoutingKey(secretName: string, raw: unknown): string {
  let value: unknown = raw instanceof Uint8Array ? new TextDecoder().decode(raw) : raw;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      value = (JSON.parse(value) as { routingKey?: unknown }).routingKey;
    } catch {
      throw new CredentialsError(
        secretName,
        'is not valid JSON (expected { "routingKey": … } or the bare key)',
      );
    }
  }
  if (typeof value !== 'string' || !/^[A-Za-z0-9]{20,64}$/.test(value.trim())) {
    throw new CredentialsError(
      secretName,
      'does not hold a PagerDuty Events v2 routing key (20–64 letters and digits)',
    );
  }
  return value.trim();
}

export interface SecretsManagerRoutingKeyOptions {
  /** Name or ARN of the secret (env PAGERDUTY_ROUTING_KEY_SECRET holds the name, never the key). */
  readonly secretName: string;
  readonly provider?: SecretsProvider;
  /** @default 300 */
  readonly maxAgeSeconds?: number;
}

/** Cached for minutes per warm Lambda; the last good key keeps serving through a Secrets Manager outage. */
export class SecretsManagerRoutingKey implements RoutingKeySource {
  private provider: SecretsProvider | undefined;
  private lastGood: string | undefined;

  constructor(private readonly options: SecretsManagerRoutingKeyOptions) {
    if (!options.secretName) throw new TypeError('secretName: must be a non-empty secret name or ARN');
    this.provider = options.provider;
  }

  async get(): Promise<string> {
    this.provider ??= new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(awsClientConfig()) });
    try {
      const raw = await this.provider.get(this.options.secretName, {
        maxAge: this.options.maxAgeSeconds ?? 300,
      });
      this.lastGood = parseRoutingKey(this.options.secretName, raw);
      return this.lastGood;
    } catch (error) {
      if (this.lastGood) return this.lastGood;
      if (error instanceof CredentialsError) throw error;
      throw new CredentialsError(this.options.secretName, 'could not be read from Secrets Manager', {
        cause: error,
      });
    }
  }
}
