import { describe, expect, it } from 'vitest';
import {
  actuatorsForDrill,
  defaultActuators,
  desiredState,
  desiredStates,
  EDGE_DEMAND_ID,
  planActuators,
  planEdgeActuators,
  withDemand,
} from '../../../lambdas/core/actuator-plan';
import { type Actuator, parseConfig } from '../../../lambdas/core/config';

const notify = (id: string, tier: 1 | 2 | 3 | 4, queues: string[]): Actuator => ({
  id,
  tier,
  queues,
  type: 'notify-only',
});
const actuators = [
  notify('all-t1', 1, ['*']),
  notify('sales-t2', 2, ['sales']),
  notify('billing-t1', 1, ['billing', 'returns']),
  notify('edge', 4, ['*']),
];
const on = { tier1: true, tier2: true, tier3: false };

describe('planActuators', () => {
  it('lists every tier 1–3 actuator covering the queue, demanding iff its tier is effective', () => {
    expect(planActuators(actuators, 'sales', on)).toEqual([
      { actuatorId: 'all-t1', tier: 1, demanding: true },
      { actuatorId: 'sales-t2', tier: 2, demanding: true },
    ]);
    expect(planActuators(actuators, 'returns', { tier1: false, tier2: true, tier3: true })).toEqual([
      { actuatorId: 'all-t1', tier: 1, demanding: false },
      { actuatorId: 'billing-t1', tier: 1, demanding: false },
    ]);
  });

  it('never lets a queue demand a tier 4 actuator', () => {
    expect(planActuators(actuators, 'sales', on).map((d) => d.tier)).not.toContain(4);
  });
});

describe('planEdgeActuators', () => {
  it.each([
    ['ALARM', true],
    ['OK', false],
  ] as const)('demands tier 4 actuators while the alarm is %s → %s', (alarm, demanding) => {
    expect(planEdgeActuators(actuators, alarm)).toEqual([{ actuatorId: 'edge', tier: 4, demanding }]);
  });
});

describe('desiredState and withDemand', () => {
  it.each([
    [[], 'inactive'],
    [['sales'], 'active'],
    [[EDGE_DEMAND_ID], 'active'],
    [['billing', 'sales'], 'active'],
  ] as const)('demanders %j → %s', (demanders, state) => {
    expect(desiredState(demanders)).toBe(state);
  });

  it('adds and removes demanders idempotently, sorted, without touching the input', () => {
    const start = Object.freeze(['sales']) as readonly string[];
    expect(withDemand(start, 'billing', true)).toEqual(['billing', 'sales']);
    expect(withDemand(start, 'sales', true)).toEqual(['sales']);
    expect(withDemand(start, 'sales', false)).toEqual([]);
    expect(withDemand(start, 'other', false)).toEqual(['sales']);
    expect(start).toEqual(['sales']);
  });
});

describe('desiredStates', () => {
  it('wants an actuator active iff its tier is effective for at least one queue it covers', () => {
    const effective = new Map([
      ['sales', { tier1: false, tier2: true, tier3: false }],
      ['returns', { tier1: true, tier2: false, tier3: false }],
    ]);
    expect(Object.fromEntries(desiredStates(actuators, effective))).toEqual({
      'all-t1': 'active', // returns' tier 1
      'sales-t2': 'active',
      'billing-t1': 'active', // covers returns
    });
    effective.set('returns', { tier1: false, tier2: false, tier3: false });
    expect(desiredStates(actuators, effective).get('billing-t1')).toBe('inactive');
  });
});

describe('defaultActuators', () => {
  it('is one valid datatable-row actuator per tier 1–3 on the surge-control table, covering every queue', () => {
    const defaults = defaultActuators();
    expect(() => parseConfig({ actuators: defaults })).not.toThrow();
    expect(defaults).toEqual(
      [1, 2, 3].map((tier) => ({
        id: `tier${tier}-datatable`,
        tier,
        type: 'datatable-row',
        queues: ['*'],
        datatableId: 'surge-control',
        rowId: `tier${tier}`,
        field: 'SurgeActive',
        activeValue: true,
        inactiveValue: false,
      })),
    );
    expect(
      defaultActuators('dt-42').every((a) => a.type === 'datatable-row' && a.datatableId === 'dt-42'),
    ).toBe(true);
  });

  it('is used by replay and drill only when the config names no actuators', () => {
    expect(actuatorsForDrill(parseConfig({}))).toEqual(defaultActuators());
    const own = [notify('mine', 1, ['*'])];
    expect(actuatorsForDrill(parseConfig({ actuators: own }))).toEqual(own);
  });
});
