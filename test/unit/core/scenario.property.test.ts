import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ObservationSink,
  parseScenario,
  type ScenarioLine,
  streamObservations,
} from '../../../drill/scenario';
import { isoToMs } from '../../../lambdas/core/time';

// The streaming parser reads ordinary lines straight from the bytes and hands every other line to the
// string parser. Whatever the file and however it is cut into chunks, it must give exactly what
// parseScenario gives: the same lines, or the same one-line error.

const HEADERS = [
  'observedAt,queueId,waiting,agentsAvailable',
  'queueId,observedAt,agentsAvailable,waiting',
  ' observedAt , queueId,waiting,agentsAvailable',
  'observedAt,queueId,waiting',
  'observedAt,queueId,waiting,agentsAvailable,extra',
];
// Per field: ordinary values (the byte path reads them), odd but valid ones (the string parser's
// trimming, quoting and timestamp spellings) and invalid ones (an error naming the line and field).
const FIELDS = {
  observedAt: {
    plain: [
      '2026-11-27T09:00:00Z',
      '2026-11-27T09:01:00Z',
      '2026-11-27T09:01:00.500Z',
      '0050-01-01T00:00:00Z',
    ],
    odd: [
      ' 2026-11-27T09:02:00Z',
      '2026-11-27T09:02:00Z\t',
      '"2026-11-27T09:03:00Z"',
      '2026-11-27T09:00:00.000Z',
    ],
    bad: ['2026-02-30T00:00:00Z', '2026-11-27 09:00:00Z', '', '2026-11-27T09:00:00+01:00'],
  },
  queueId: {
    plain: ['a', 'b', 'sales east', 'café ☕', 'a-very-long-queue-id-0123456789abcdef'],
    odd: [' a', 'b ', '"a,b"', '"x""y"', 'a\rb', '" padded "'],
    bad: ['', 'x"y', '"open'],
  },
  waiting: {
    plain: ['0', '12', '7', '007', '999999999999999'],
    odd: [' 3', '3 ', '"4"'],
    bad: ['', '-1', 'x', '1.5', '9999999999999999', '1e3'],
  },
  agentsAvailable: {
    plain: ['0', '3', '', '11'],
    odd: [' ', '4 ', '""'],
    bad: ['x', '-2', '1234567890123456'],
  },
};
type Values = { plain: string[]; odd: string[]; bad: string[] };
const fieldArb = (v: Values, bad: boolean) =>
  fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...v.plain) },
    { weight: 3, arbitrary: fc.constantFrom(...v.odd) },
    { weight: bad ? 1 : 0, arbitrary: fc.constantFrom(...v.bad) },
  );
const OTHER_LINES = ['# comment', '   # indented', '', '  ', '\t', '2026-11-27T09:04:00Z,"multi\nline",1,2'];

const lineArb = (bad: boolean) =>
  fc.oneof(
    {
      weight: 30,
      arbitrary: fc.tuple(
        fieldArb(FIELDS.observedAt, bad),
        fieldArb(FIELDS.queueId, bad),
        fieldArb(FIELDS.waiting, bad),
        fieldArb(FIELDS.agentsAvailable, bad),
      ),
    },
    { weight: 3, arbitrary: fc.constantFrom(...OTHER_LINES) },
    { weight: bad ? 1 : 0, arbitrary: fc.constantFrom('a,b,c', 'a,b,c,d,e', '2026-11-27T09:00:00Z,a,1,2,') },
  );

const fileArb = fc
  .record({
    bom: fc.boolean(),
    leading: fc.array(fc.constantFrom('# history', ''), { maxLength: 2 }),
    header: fc.constantFrom(...HEADERS, HEADERS[0], HEADERS[0], HEADERS[0], HEADERS[0]),
    lines: fc.boolean().chain((bad) => fc.array(lineArb(bad), { maxLength: 30 })),
    eol: fc.constantFrom('\n', '\n', '\r\n'),
    finalEol: fc.boolean(),
  })
  .map(({ bom, leading, header, lines, eol, finalEol }) => {
    const rows = lines.map((l) => (typeof l === 'string' ? l : l.join(',')));
    const text = [...leading, header, ...rows].join(eol) + (finalEol ? eol : '');
    return bom ? `\uFEFF${text}` : text;
  });

async function* chunksOf(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length] as number;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

type Outcome = { lines: ScenarioLine[] } | { error: string };

function parsed(text: string): Outcome {
  try {
    return { lines: parseScenario(text, 'f.csv') };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function streamed(text: string, sizes: readonly number[]): Promise<Outcome> {
  const lines: ScenarioLine[] = [];
  const numbers = new Map<string, number>();
  const sink: ObservationSink = {
    observe(line, queue, queueId, observedAt, observedAtMs, waiting, agentsAvailable) {
      // Queues are numbered 0, 1, 2… in order of first appearance, and the time is the timestamp's.
      if (!numbers.has(queueId)) numbers.set(queueId, numbers.size);
      expect(queue).toBe(numbers.get(queueId));
      expect(observedAtMs).toBe(isoToMs(observedAt));
      lines.push({ line, observation: { queueId, observedAt, waiting, agentsAvailable } });
    },
  };
  try {
    await streamObservations(chunksOf(Buffer.from(text, 'utf8'), sizes), 'f.csv', sink);
    return { lines };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** SCENARIO_RUNS for more cases; SCENARIO_SEED to replay a reported counterexample. */
describe('streamObservations (properties)', () => {
  it('gives exactly the lines or the error of parseScenario, however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fileArb,
        fc.array(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(1 << 20)), {
          minLength: 1,
          maxLength: 4,
        }),
        async (text, sizes) => {
          expect(await streamed(text, sizes)).toEqual(parsed(text));
        },
      ),
      {
        numRuns: Number(process.env.SCENARIO_RUNS ?? 400),
        ...(process.env.SCENARIO_SEED ? { seed: Number(process.env.SCENARIO_SEED) } : {}),
      },
    );
  });
});
