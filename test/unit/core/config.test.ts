import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  DEFAULT_FLAPPING,
  deepMerge,
  parseConfig,
  parseConfigText,
  tierConfigFor,
  tierConfigsFor,
} from '../../../lambdas/core/config';
import { ConfigError, ConfigFileError } from '../../../lambdas/core/errors';

describe('parseConfig', () => {
  it('accepts {} and returns the defaults of docs/semantics.md', () => {
    const config = parseConfig({});
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.intervalSeconds).toBe(60);
    expect(config.flapping).toEqual(DEFAULT_FLAPPING);
  });

  it.each([
    ['tier1', 'auto', { waitingAbove: 50, forObservations: 10 }, { waitingBelow: 25, forObservations: 10 }],
    [
      'tier2',
      'auto',
      { waitingAbove: 200, agentsAvailableBelow: 5, forObservations: 3 },
      { waitingBelow: 50, forObservations: 5 },
    ],
    [
      'tier3',
      'recommend',
      { waitingAbove: 400, forObservations: 3 },
      { waitingBelow: 100, forObservations: 10 },
    ],
  ] as const)('defaults %s to %s, activate %j, restore %j', (key, mode, activate, restore) => {
    expect(parseConfig({}).tiers[key]).toEqual({ mode, activate, restore, minActiveSeconds: 0 });
  });

  it('deep-merges a partial tier over the defaults, keeping every field not given', () => {
    const config = parseConfig({ tiers: { tier1: { activate: { waitingAbove: 80 } } } });
    expect(config.tiers.tier1.activate).toEqual({ waitingAbove: 80, forObservations: 10 });
    expect(config.tiers.tier1.restore).toEqual(DEFAULT_CONFIG.tiers.tier1.restore);
    expect(config.tiers.tier2).toEqual(DEFAULT_CONFIG.tiers.tier2);
  });

  it('drops the agent condition when agentsAvailableBelow is null', () => {
    const config = parseConfig({ tiers: { tier2: { activate: { agentsAvailableBelow: null } } } });
    expect(config.tiers.tier2.activate).toEqual({ waitingAbove: 200, forObservations: 3 });
  });

  it('merges per-queue partial overrides over the global tier, for that queue only', () => {
    const config = parseConfig({
      tiers: { tier1: { restore: { forObservations: 4 } } },
      queues: [
        { id: 'vip', tiers: { tier1: { activate: { waitingAbove: 10 }, restore: { waitingBelow: 5 } } } },
      ],
    });
    expect(tierConfigFor(config, 'vip', 'tier1')).toEqual({
      mode: 'auto',
      activate: { waitingAbove: 10, forObservations: 10 },
      restore: { waitingBelow: 5, forObservations: 4 },
      minActiveSeconds: 0,
    });
    expect(tierConfigFor(config, 'other', 'tier1')).toEqual(config.tiers.tier1);
    expect(tierConfigsFor(config, 'vip').tier1).toEqual(tierConfigFor(config, 'vip', 'tier1'));
    expect(tierConfigsFor(config, 'vip')).toBe(tierConfigsFor(config, 'vip')); // memoised
  });

  it.each([
    {
      case: 'waitingBelow > waitingAbove in a global tier',
      input: { tiers: { tier1: { restore: { waitingBelow: 60 } } } },
      path: 'tiers.tier1.restore.waitingBelow',
    },
    {
      case: 'waitingAbove lowered under the default waitingBelow',
      input: { tiers: { tier3: { activate: { waitingAbove: 99 } } } },
      path: 'tiers.tier3.restore.waitingBelow',
    },
    {
      case: 'waitingBelow > waitingAbove in a per-queue override',
      input: { queues: [{ id: 'a' }, { id: 'b', tiers: { tier2: { activate: { waitingAbove: 40 } } } }] },
      path: 'queues.1.tiers.tier2.restore.waitingBelow',
    },
    {
      case: 'a misspelt key',
      input: { tiers: { tier1: { activate: { waitingAbov: 5 } } } },
      path: 'tiers.tier1.activate.waitingAbov',
    },
    { case: 'an unknown tier', input: { tiers: { tier4: {} } }, path: 'tiers.tier4' },
    {
      case: 'a non-integer count',
      input: { tiers: { tier2: { restore: { forObservations: 1.5 } } } },
      path: 'tiers.tier2.restore.forObservations',
    },
    {
      case: 'forObservations 0',
      input: { tiers: { tier1: { activate: { forObservations: 0 } } } },
      path: 'tiers.tier1.activate.forObservations',
    },
    { case: 'an unknown mode', input: { tiers: { tier1: { mode: 'manual' } } }, path: 'tiers.tier1.mode' },
    { case: 'a string interval', input: { intervalSeconds: '60' }, path: 'intervalSeconds' },
    { case: 'a duplicate queue id', input: { queues: [{ id: 'a' }, { id: 'a' }] }, path: 'queues.1.id' },
    {
      case: 'a duplicate actuator id',
      input: {
        actuators: [
          { id: 'x', tier: 1, queues: ['*'], type: 'notify-only' },
          { id: 'x', tier: 2, queues: ['*'], type: 'notify-only' },
        ],
      },
      path: 'actuators.1.id',
    },
    {
      case: 'an actuator with no queues',
      input: { actuators: [{ id: 'x', tier: 1, queues: [], type: 'notify-only' }] },
      path: 'actuators.0.queues',
    },
    {
      case: 'a flapping threshold of 1',
      input: { flapping: { transitions: 1 } },
      path: 'flapping.transitions',
    },
    { case: 'not an object', input: [], path: '(root)' },
  ])('rejects $case, naming the key $path', ({ input, path }) => {
    let error: unknown;
    try {
      parseConfig(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
    expect((error as ConfigError).message.startsWith(`${path}: `)).toBe(true);
  });

  it('accepts waitingBelow equal to waitingAbove (a zero-width band)', () => {
    expect(() => parseConfig({ tiers: { tier1: { restore: { waitingBelow: 50 } } } })).not.toThrow();
  });
});

describe('parseConfigText', () => {
  const text = [
    '{',
    '  "tiers": {',
    '    "tier1": {',
    '      "restore": { "waitingBelow": 60 }',
    '    }',
    '  }',
    '}',
  ].join('\n');

  it('names file, line and key of a band violation', () => {
    expect(() => parseConfigText(text, 'surge.json')).toThrow(
      'surge.json:4: tiers.tier1.restore.waitingBelow: 60 must be ≤ tiers.tier1.activate.waitingAbove (50)',
    );
  });

  it('points at the nearest written ancestor when the key itself took its default', () => {
    const lowered =
      '{\n  "tiers": {\n    "tier3": {\n      "activate": { "waitingAbove": 99 }\n    }\n  }\n}';
    expect(() => parseConfigText(lowered, 'c.json')).toThrow(
      /^c\.json:3: tiers\.tier3\.restore\.waitingBelow: /,
    );
  });

  it('names the line of a misspelt key inside an array', () => {
    const typo = '{\n  "queues": [\n    { "id": "a" },\n    { "id": "b",\n      "tierz": {} }\n  ]\n}';
    expect(() => parseConfigText(typo, 'c.json')).toThrow('c.json:5: queues.1.tierz: unknown key');
  });

  it('names the line of a JSON syntax error', () => {
    let error: unknown;
    try {
      parseConfigText('{\n  "intervalSeconds": 60,\n}', 'c.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigFileError);
    expect((error as Error).message).toMatch(/^c\.json:3: invalid JSON: /);
    expect((error as Error).message).not.toContain('\n');
  });

  it('parses a valid file', () => {
    expect(parseConfigText('{ "intervalSeconds": 30 }', 'c.json').intervalSeconds).toBe(30);
  });
});

describe('deepMerge', () => {
  it.each([
    { base: { a: 1, b: { c: 2, d: 3 } }, over: { b: { c: 9 } }, out: { a: 1, b: { c: 9, d: 3 } } },
    { base: { list: [1, 2, 3] }, over: { list: [4] }, out: { list: [4] } },
    { base: { a: 1 }, over: { a: undefined }, out: { a: 1 } },
    { base: { a: { b: 1 } }, over: { a: null }, out: { a: null } },
    { base: { a: 1 }, over: undefined, out: { a: 1 } },
  ])('merges $over over $base', ({ base, over, out }) => {
    expect(deepMerge(base, over)).toEqual(out);
  });

  it('does not modify its inputs', () => {
    const base = { a: { b: 1 } };
    deepMerge(base, { a: { b: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});
