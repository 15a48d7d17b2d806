import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/core/errors';
import { type ContextKey, deployOptionsFromContext, readConfigFile } from '../../lib/deploy-context';

const reader =
  (values: Partial<Record<ContextKey, unknown>>) =>
  (key: ContextKey): unknown =>
    values[key];

describe('deployOptionsFromContext', () => {
  it('uses safe defaults when no context is given', () => {
    // Act
    const options = deployOptionsFromContext(reader({}));
    // Assess
    expect(options).toEqual({
      stackName: 'CxSurgeController',
      configPath: undefined,
      edge: undefined,
      controller: {
        alertEmail: undefined,
        pagerDutyEndpoint: undefined,
        pagerDutyRoutingKeySecret: undefined,
        pagerDutyEventsUrl: undefined,
        partnerEventBusName: undefined,
        createSecrets: false,
        deletionProtection: true,
        reserveConcurrency: true,
        evaluateConcurrency: undefined,
        logRetention: undefined,
        logLevel: undefined,
      },
    });
  });

  it('reads `-c key=value` strings and cdk.json JSON values alike', () => {
    const fromCli = deployOptionsFromContext(
      reader({
        createSecrets: 'true',
        deletionProtection: 'false',
        evaluateConcurrency: '3',
        logRetentionDays: '90',
        logLevel: 'debug',
      }),
    );
    const fromJson = deployOptionsFromContext(
      reader({
        createSecrets: true,
        deletionProtection: false,
        evaluateConcurrency: 3,
        logRetentionDays: 90,
        logLevel: 'DEBUG',
      }),
    );
    expect(fromCli).toEqual(fromJson);
    expect(fromCli.controller).toMatchObject({
      createSecrets: true,
      deletionProtection: false,
      evaluateConcurrency: 3,
      logRetention: 90,
      logLevel: 'DEBUG',
    });
  });

  it('passes names and endpoints through untouched', () => {
    const options = deployOptionsFromContext(
      reader({
        stackName: 'SurgeProd',
        config: 'surge.config.json',
        alertEmail: 'ops@example.com',
        pagerDutyRoutingKeySecret: 'cx-surge/pagerduty',
        partnerEventBusName: 'aws.partner/genesys.com/cloud/org/x',
        edge: 'true',
        edgeOriginDomain: 'origin.shop.example',
        edgeSupportEmail: 'help@shop.example',
        edgeFaqUrl: 'https://shop.example/faq',
      }),
    );
    expect(options).toMatchObject({
      stackName: 'SurgeProd',
      configPath: 'surge.config.json',
      edge: {
        originDomainName: 'origin.shop.example',
        supportEmail: 'help@shop.example',
        faqUrl: 'https://shop.example/faq',
      },
      controller: {
        alertEmail: 'ops@example.com',
        pagerDutyRoutingKeySecret: 'cx-surge/pagerduty',
        partnerEventBusName: 'aws.partner/genesys.com/cloud/org/x',
      },
    });
  });

  it.each<[ContextKey, unknown, RegExp]>([
    ['createSecrets', 'yes', /context\.createSecrets: must be true or false, got "yes"/],
    ['deletionProtection', 1, /context\.deletionProtection: must be true or false/],
    ['evaluateConcurrency', '0', /context\.evaluateConcurrency: must be a whole number ≥ 1/],
    ['evaluateConcurrency', '2.5', /context\.evaluateConcurrency: must be a whole number ≥ 1/],
    [
      'logRetentionDays',
      '31',
      /context\.logRetentionDays: 31 is not a CloudWatch Logs retention; use one of 1, 3, 5, 7/,
    ],
    ['logLevel', 'chatty', /context\.logLevel: must be one of DEBUG, INFO, WARN, ERROR/],
    ['alertEmail', 42, /context\.alertEmail: must be a string/],
  ])('rejects %s=%j naming the key', (key, value, message) => {
    const act = () => deployOptionsFromContext(reader({ [key]: value }));
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });
});

describe('readConfigFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'surge-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads no file as the empty config (all defaults)', () => {
    expect(readConfigFile(undefined)).toEqual({});
  });

  it('returns the parsed document, leaving validation to parseConfig', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, '{"intervalSeconds": 120, "queues": [{"id": "q1"}]}');
    expect(readConfigFile(path)).toEqual({ intervalSeconds: 120, queues: [{ id: 'q1' }] });
  });

  it('names a missing file', () => {
    expect(() => readConfigFile(join(dir, 'missing.json'))).toThrow(
      /context\.config: cannot read config file '.*missing\.json'/,
    );
  });

  it('names a file that is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ intervalSeconds: 60 }');
    expect(() => readConfigFile(path)).toThrow(/context\.config: '.*broken\.json' is not valid JSON/);
  });
});
