import { describe, expect, it } from 'vitest';
import { pipelinePerTest } from './harness';

const open = pipelinePerTest();

const alarmEvent = (state: string, since: string, previous?: { state: string; since: string }) => ({
  version: '0',
  id: `alarm-${state}-${since}`,
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: since,
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:surge-edge-origin'],
  detail: {
    alarmName: 'surge-edge-origin',
    state: { value: state, timestamp: since, reason: 'Threshold Crossed' },
    ...(previous ? { previousState: { value: previous.state, timestamp: previous.since } } : {}),
  },
});

const TIER4 = {
  actuators: [
    {
      id: 'fallback-row',
      tier: 4,
      type: 'datatable-row',
      queues: ['*'],
      datatableId: 'surge-control',
      rowId: 'tier4',
      field: 'SurgeActive',
      activeValue: true,
      inactiveValue: false,
    },
  ],
};

describe('evaluate: the edge origin alarm (Tier 4)', () => {
  it('records Tier 4 on ALARM, restores on OK, and pages one episode with one dedup key', async () => {
    const p = await open({ config: TIER4 });

    const on = await p.evaluate(alarmEvent('ALARM', '2026-11-27T09:00:00.000+0000'));
    expect(on).toMatchObject({ kind: 'edge-alarm', tier4: 'active' });
    expect(p.emulator.readRow('surge-control', 'tier4').SurgeActive).toBe(true);

    const off = await p.evaluate(
      alarmEvent('OK', '2026-11-27T09:12:00.000+0000', {
        state: 'ALARM',
        since: '2026-11-27T09:00:00.000+0000',
      }),
    );
    expect(off).toMatchObject({ kind: 'edge-alarm', tier4: 'inactive' });
    expect(p.emulator.readRow('surge-control', 'tier4').SurgeActive).toBe(false);

    const edgePages = p.pagesSent().filter((x) => x.startsWith('edge-fallback'));
    expect(edgePages).toEqual([
      'edge-fallback trigger edge-fallback:surge-edge-origin:2026-11-27T09:00:00.000+0000',
      'edge-fallback resolve edge-fallback:surge-edge-origin:2026-11-27T09:00:00.000+0000',
    ]);
  });

  it('holds Tier 4 on INSUFFICIENT_DATA: missing data never restores a tier', async () => {
    const p = await open({ config: TIER4 });
    await p.evaluate(alarmEvent('ALARM', '2026-11-27T09:00:00.000+0000'));

    const held = await p.evaluate(
      alarmEvent('INSUFFICIENT_DATA', '2026-11-27T09:05:00.000+0000', {
        state: 'ALARM',
        since: '2026-11-27T09:00:00.000+0000',
      }),
    );

    expect(held).toMatchObject({ kind: 'edge-alarm', tier4: 'held' });
    expect(p.emulator.readRow('surge-control', 'tier4').SurgeActive).toBe(true);
  });

  it('rejects an alarm event without a state, naming the field', async () => {
    const p = await open({ config: TIER4 });
    const event = alarmEvent('ALARM', '2026-11-27T09:00:00.000+0000');
    const { state: _dropped, ...detail } = event.detail;

    await expect(p.evaluate({ ...event, detail })).rejects.toThrow('detail.state');
  });
});
