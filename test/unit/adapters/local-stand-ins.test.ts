import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalOutboxPager, LocalSecretsFileCredentialsSource } from '../../../lambdas/adapters/local';
import { CredentialsError } from '../../../lambdas/core/errors';
import type { Page } from '../../../lambdas/core/ports';

const dir = mkdtempSync(join(tmpdir(), 'surge-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const page: Page = {
  kind: 'recommendation',
  dedupKey: 'recommend:q1:tier3:1',
  action: 'trigger',
  severity: 'warning',
  summary: 'Tier 3 widget throttling recommended for q1',
  reason: 'tier-recommended',
  at: '2026-11-27T09:05:00Z',
  details: { queueId: 'q1' },
};

describe('LocalOutboxPager', () => {
  it('appends each page to the outbox file as the SNS body and attributes would carry it', async () => {
    const file = join(dir, 'pages.jsonl');
    const pager = new LocalOutboxPager({ file });

    await pager.send(page);
    await pager.send({ ...page, action: 'resolve' });

    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(pager.delivered);
    expect(lines.map((l) => [l.attributes.action, l.event.event_action, l.event.dedup_key])).toEqual([
      ['trigger', 'trigger', 'recommend:q1:tier3:1'],
      ['resolve', 'resolve', 'recommend:q1:tier3:1'],
    ]);
  });

  it('fails exactly the injected number of sends, recording none of them', async () => {
    const pager = new LocalOutboxPager();
    pager.failNext(2);

    const outcomes = await Promise.allSettled([pager.send(page), pager.send(page), pager.send(page)]);

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(pager.delivered).toHaveLength(1);
  });
});

describe('LocalSecretsFileCredentialsSource', () => {
  const write = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('serves the secrets the config names, and re-reads the file on a forced refresh', async () => {
    const file = write('secrets.json', { primary: { clientId: 'c1', clientSecret: 'one' } });
    const source = new LocalSecretsFileCredentialsSource({
      file,
      primarySecret: 'primary',
      breakGlassSecret: 'bg',
    });
    const before = await source.get('primary');
    write('secrets.json', {
      primary: { clientId: 'c1', clientSecret: 'two' },
      bg: { clientId: 'b', clientSecret: 'glass' },
    });

    const cached = await source.get('primary');
    const refreshed = await source.get('primary', { forceRefresh: true });
    const breakGlass = await source.get('breakGlass');

    expect([before?.clientSecret, cached?.clientSecret, refreshed?.clientSecret]).toEqual([
      'one',
      'one',
      'two',
    ]);
    expect(breakGlass).toEqual({ clientId: 'b', clientSecret: 'glass' });
  });

  it.each([
    ['a secret missing from the file', { other: {} }, /'primary': is not in/],
    ['a file that is not JSON', 'primary: x', /is not valid JSON/],
    ['a value without clientSecret', { primary: { clientId: 'c1' } }, /'primary': field 'clientSecret'/],
  ])('rejects %s with a CredentialsError naming the secret', async (_, content, message) => {
    const file = write(`bad-${Math.random()}.json`, content);
    const source = new LocalSecretsFileCredentialsSource({ file, primarySecret: 'primary' });

    await expect(source.get('primary')).rejects.toThrow(CredentialsError);
    await expect(source.get('primary')).rejects.toThrow(message);
  });

  it('has no break-glass client when none is configured', async () => {
    const file = write('only-primary.json', { primary: { clientId: 'c1', clientSecret: 'one' } });

    expect(
      await new LocalSecretsFileCredentialsSource({ file, primarySecret: 'primary' }).get('breakGlass'),
    ).toBe(undefined);
  });
});
