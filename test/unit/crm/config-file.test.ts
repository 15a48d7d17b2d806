// crm-lookup reads its config from a file bundled with the function (CRM_CONFIG_FILE), not an env var.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambdas/core/errors';
import { crmConfigFromFile } from '../../../lambdas/handlers/crm-lookup-deps';

const root = mkdtempSync(join(tmpdir(), 'crm-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const primary = {
  baseUrl: 'https://crm.example.com/api',
  tokenUrl: 'https://crm.example.com/oauth/token',
  credentialsSecret: 'cx-surge/crm-primary',
};

describe('crmConfigFromFile', () => {
  it('reads and validates crm-config.json from the code directory', () => {
    writeFileSync(join(root, 'crm-config.json'), JSON.stringify({ primary, budgetMs: 2500 }));
    const config = crmConfigFromFile({ LAMBDA_TASK_ROOT: root, CRM_CONFIG_FILE: 'crm-config.json' });
    expect(config.primary.baseUrl).toBe(primary.baseUrl);
    expect(config.budgetMs).toBe(2500);
  });

  it('names the variable and the path when the file is missing', () => {
    const error = (() => {
      try {
        crmConfigFromFile({ LAMBDA_TASK_ROOT: join(root, 'nowhere') });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/CRM_CONFIG_FILE.*nowhere[/\\]crm-config\.json/);
  });

  it('refuses a file that is not JSON, and a config with a bad key, naming them', () => {
    writeFileSync(join(root, 'bad.json'), '{ primary:');
    expect(() => crmConfigFromFile({ LAMBDA_TASK_ROOT: root, CRM_CONFIG_FILE: 'bad.json' })).toThrow(
      /CRM_CONFIG_FILE.*bad\.json is not valid JSON/,
    );
    writeFileSync(join(root, 'bad-key.json'), JSON.stringify({ primary: { ...primary, baseUrl: 'nope' } }));
    expect(() => crmConfigFromFile({ LAMBDA_TASK_ROOT: root, CRM_CONFIG_FILE: 'bad-key.json' })).toThrow(
      /primary\.baseUrl/,
    );
  });
});
