// The emulator's DR endpoints over raw HTTP (docs/dr.md): IVR listing with paging, a DID in one IVR
// only, the IVR PUT limit, callbacks (create, read one, find by interval without attributes).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GenesysEmulator, startGenesysEmulator } from '../../../drill/genesys-emulator';
import { api, SimulatedClock, token } from './support';

let clock: SimulatedClock;
let emulator: GenesysEmulator;
let bearer: string;

beforeEach(async () => {
  clock = new SimulatedClock();
  emulator = await startGenesysEmulator({ clock, ivrPutsPerMinute: 3 });
  for (const id of ['ivr-a', 'ivr-b', 'ivr-c'])
    emulator.seedIvr({ id, name: id, dnis: id === 'ivr-a' ? ['+13175550100'] : [] });
  bearer = await token(emulator.url);
});
afterEach(() => emulator.close());

describe('IVR configs', () => {
  it('lists IVRs in pages, every page whole (version and dnis included)', async () => {
    const page1 = await api(emulator.url, bearer, 'GET', '/api/v2/architect/ivrs?pageSize=2&pageNumber=1');
    const page2 = await api(emulator.url, bearer, 'GET', '/api/v2/architect/ivrs?pageSize=2&pageNumber=2');
    expect(page1.body).toMatchObject({ pageSize: 2, pageNumber: 1, total: 3, pageCount: 2 });
    expect((page1.body.entities as { id: string }[]).map((e) => e.id)).toEqual(['ivr-a', 'ivr-b']);
    expect((page2.body.entities as { id: string }[]).map((e) => e.id)).toEqual(['ivr-c']);
    expect((page1.body.entities as unknown[])[0]).toMatchObject({ version: 1, dnis: ['+13175550100'] });
    expect((await api(emulator.url, bearer, 'GET', '/api/v2/architect/ivrs?pageSize=101')).status).toBe(400);
  });

  it('refuses a DID already listed by another IVR (400 naming it), and nothing changes', async () => {
    const res = await api(emulator.url, bearer, 'PUT', '/api/v2/architect/ivrs/ivr-b', {
      name: 'ivr-b',
      version: 1,
      dnis: ['+13175550100'],
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('dnis +13175550100 is already assigned to IVR ivr-a');
    expect(emulator.readIvr('ivr-b')).toMatchObject({ version: 1, dnis: [] });
  });

  it('limits IVR PUTs per token per minute (429 + Retry-After), separately from the general limit', async () => {
    for (let v = 1; v <= 3; v += 1) {
      const ok = await api(emulator.url, bearer, 'PUT', '/api/v2/architect/ivrs/ivr-c', {
        name: 'c',
        version: v,
        dnis: [],
      });
      expect(ok.status).toBe(200);
      clock.advance(1000);
    }
    const limited = await api(emulator.url, bearer, 'PUT', '/api/v2/architect/ivrs/ivr-c', {
      name: 'c',
      version: 4,
      dnis: [],
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('57');
    expect((await api(emulator.url, bearer, 'GET', '/api/v2/architect/ivrs/ivr-c')).status).toBe(200);
    clock.advance(57_000);
    expect(
      (
        await api(emulator.url, bearer, 'PUT', '/api/v2/architect/ivrs/ivr-c', {
          name: 'c',
          version: 4,
          dnis: [],
        })
      ).status,
    ).toBe(200);
  });
});

describe('callbacks', () => {
  const query = (interval: string, pageNumber = 1) => ({
    interval,
    segmentFilters: [
      { type: 'and', predicates: [{ type: 'dimension', dimension: 'mediaType', value: 'callback' }] },
    ],
    paging: { pageSize: 2, pageNumber },
  });

  it('creates a callback whose data shows as participant attributes, found by interval without them', async () => {
    clock.advance(Date.parse('2026-11-27T10:00:00Z') - clock.now());
    const created = await api(emulator.url, bearer, 'POST', '/api/v2/conversations/callbacks', {
      queueId: 'q1',
      callbackNumbers: ['+15550000001'],
      callbackUserName: 'Ada',
      data: { drSourceConversationId: 'src-1' },
    });
    expect(created.status).toBe(200);
    const id = (created.body.conversation as { id: string }).id;
    for (const n of [2, 3]) {
      clock.advance(60_000);
      emulator.takeCallback({ callbackNumbers: [`+1555000000${n}`] });
    }

    const one = await api(emulator.url, bearer, 'GET', `/api/v2/conversations/${id}`);
    expect((one.body.participants as { attributes: unknown }[])[0]?.attributes).toEqual({
      drSourceConversationId: 'src-1',
    });

    const window = '2026-11-27T10:00:00Z/2026-11-27T10:01:30Z';
    const found = await api(
      emulator.url,
      bearer,
      'POST',
      '/api/v2/analytics/conversations/details/query',
      query(window),
    );
    expect(found.body.totalHits).toBe(2);
    const conversations = found.body.conversations as {
      conversationId: string;
      participants: {
        attributes?: unknown;
        sessions: { mediaType: string; callbackNumbers: string[]; segments: { queueId?: string }[] }[];
      }[];
    }[];
    expect(conversations.map((c) => c.conversationId)[0]).toBe(id);
    expect(conversations[0]?.participants[0]?.attributes).toBeUndefined();
    expect(conversations[0]?.participants[0]?.sessions[0]).toMatchObject({
      mediaType: 'callback',
      callbackNumbers: ['+15550000001'],
      segments: [{ queueId: 'q1' }],
    });
    const empty = await api(
      emulator.url,
      bearer,
      'POST',
      '/api/v2/analytics/conversations/details/query',
      query(window, 2),
    );
    expect(empty.body).toEqual({ totalHits: 2 });

    // The query reads; only the create is a mutation.
    expect(emulator.mutations().map((m) => `${m.method} ${m.path}`)).toEqual([
      'POST /api/v2/conversations/callbacks',
    ]);
  });

  it('refuses a query without a valid interval and a callback without numbers', async () => {
    const bad = await api(emulator.url, bearer, 'POST', '/api/v2/analytics/conversations/details/query', {
      paging: { pageSize: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/interval is required/);
    const noNumbers = await api(emulator.url, bearer, 'POST', '/api/v2/conversations/callbacks', {
      queueId: 'q',
    });
    expect(noNumbers.status).toBe(400);
    expect((await api(emulator.url, bearer, 'GET', '/api/v2/conversations/nope')).status).toBe(404);
  });
});
