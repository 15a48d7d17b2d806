import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretsManagerCredentialsSource } from '../../../lambdas/adapters/secrets';
import { CredentialsError } from '../../../lambdas/core/errors';

const PRIMARY = 'cx-surge/genesys-client';
const BREAK_GLASS = 'cx-surge/genesys-break-glass';
const primaryValue = { clientId: 'client-1', clientSecret: 's3cr3t-primary' };

describe('SecretsManagerCredentialsSource', () => {
  const secrets = mockClient(SecretsManagerClient);
  let staleServed: string[];

  const source = (options: { breakGlass?: boolean } = {}) =>
    new SecretsManagerCredentialsSource({
      primarySecret: PRIMARY,
      ...(options.breakGlass ? { breakGlassSecret: BREAK_GLASS } : {}),
      provider: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }) }),
      maxAgeSeconds: 300,
      onStaleServed: (name) => staleServed.push(name),
    });
  const fetches = () => secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId);

  beforeEach(() => {
    staleServed = [];
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T09:00:00Z'));
  });
  afterEach(() => {
    secrets.reset();
    vi.useRealTimers();
  });

  it('reads the primary client once and serves it from cache for maxAge', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: PRIMARY })
      .resolves({ SecretString: JSON.stringify(primaryValue) });
    const credentials = source();

    const first = await credentials.get('primary');
    vi.setSystemTime(new Date('2026-11-27T09:04:59Z'));
    const second = await credentials.get('primary');

    expect(first).toEqual(primaryValue);
    expect(second).toEqual(primaryValue);
    expect(fetches()).toEqual([PRIMARY]);
  });

  it('fetches again on a forced refresh (after a 401) and picks up a rotated secret', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: PRIMARY })
      .resolvesOnce({ SecretString: JSON.stringify(primaryValue) })
      .resolves({ SecretString: JSON.stringify({ ...primaryValue, clientSecret: 'rotated' }) });
    const credentials = source();
    await credentials.get('primary');

    const refreshed = await credentials.get('primary', { forceRefresh: true });

    expect(refreshed?.clientSecret).toBe('rotated');
    expect(fetches()).toEqual([PRIMARY, PRIMARY]);
  });

  it('keeps serving the cached credentials when Secrets Manager fails after warm-up', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: PRIMARY })
      .resolvesOnce({ SecretString: JSON.stringify(primaryValue) })
      .rejects(new Error('ServiceUnavailable'));
    const credentials = source();
    await credentials.get('primary');

    vi.setSystemTime(new Date('2026-11-27T09:10:00Z')); // past maxAge: a real fetch is attempted
    const afterExpiry = await credentials.get('primary');
    const afterForcedRefresh = await credentials.get('primary', { forceRefresh: true });

    expect(afterExpiry).toEqual(primaryValue);
    expect(afterForcedRefresh).toEqual(primaryValue);
    expect(fetches()).toEqual([PRIMARY, PRIMARY, PRIMARY]);
    expect(staleServed).toEqual([PRIMARY, PRIMARY]);
  });

  it('keeps serving the last good credentials when the secret is replaced by a malformed value', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: PRIMARY })
      .resolvesOnce({ SecretString: JSON.stringify(primaryValue) })
      .resolves({ SecretString: '{"clientId":"client-1"}' });
    const credentials = source();
    await credentials.get('primary');

    expect(await credentials.get('primary', { forceRefresh: true })).toEqual(primaryValue);
    expect(staleServed).toEqual([PRIMARY]);
  });

  it('fails cold with a CredentialsError naming the secret when Secrets Manager is down', async () => {
    secrets.on(GetSecretValueCommand).rejects(new Error('ServiceUnavailable'));

    const error = await source()
      .get('primary')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ secretName: PRIMARY });
    expect((error as Error).message).toMatch(/could not be read/);
  });

  it.each([
    ['not JSON', 'clientId=client-1;clientSecret=s3cr3t-primary', /not valid JSON/],
    ['a JSON array', '["s3cr3t-primary"]', /must be a JSON object/],
    ['missing clientSecret', '{"clientId":"client-1"}', /'clientSecret'/],
    ['an empty clientId', '{"clientId":" ","clientSecret":"s3cr3t-primary"}', /'clientId'/],
  ])('rejects a secret that is %s, naming the secret and never its value', async (_, value, message) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });

    const error = await source()
      .get('primary')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(PRIMARY);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('s3cr3t');
  });

  it('reads the break-glass client from its own secret, and has none when not configured', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: BREAK_GLASS })
      .resolves({ SecretString: JSON.stringify({ clientId: 'bg', clientSecret: 'bg-secret' }) });

    expect(await source({ breakGlass: true }).get('breakGlass')).toEqual({
      clientId: 'bg',
      clientSecret: 'bg-secret',
    });
    expect(await source().get('breakGlass')).toBeUndefined();
    expect(fetches()).toEqual([BREAK_GLASS]);
  });
});
