// Parsing of a `{ clientId, clientSecret }` secret, shared by the Secrets Manager and local-file sources.
// Errors name the secret and the field, never the value: not even JSON.parse's message, which quotes input.
import { CredentialsError } from '../../core/errors';
import type { ClientCredentials } from '../../core/ports';

export function parseClientCredentials(secretName: string, raw: unknown): ClientCredentials {
  let value: unknown = raw;
  if (raw instanceof Uint8Array) value = new TextDecoder().decode(raw);
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new CredentialsError(
        secretName,
        'is not valid JSON (expected { "clientId": …, "clientSecret": … })',
      );
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CredentialsError(secretName, 'must be a JSON object { "clientId": …, "clientSecret": … }');
  }
  const { clientId, clientSecret } = value as Record<string, unknown>;
  for (const [field, v] of [
    ['clientId', clientId],
    ['clientSecret', clientSecret],
  ] as const) {
    if (typeof v !== 'string' || v.trim().length === 0) {
      throw new CredentialsError(secretName, `field '${field}' must be a non-empty string`);
    }
  }
  return { clientId: clientId as string, clientSecret: clientSecret as string };
}
