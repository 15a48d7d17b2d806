// Shared by the Genesys integration tests: simulated time, a sleep that advances it, and a
// CredentialsSource over the emulator's clients that records what it was asked.
import { DEFAULT_EMULATOR_CLIENTS } from '../../../drill/genesys-emulator';
import type { ClientCredentials, Clock, CredentialsSource } from '../../../lambdas/core/ports';

export const T0 = Date.parse('2026-11-27T09:00:00Z');

export class SimulatedClock implements Clock {
  constructor(private ms: number = T0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A sleep that returns at once and moves the simulated clock; remembers every wait. */
export function simulatedSleep(clock: SimulatedClock): ((ms: number) => Promise<void>) & { waits: number[] } {
  const waits: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    waits.push(ms);
    clock.advance(ms);
  };
  return Object.assign(sleep, { waits });
}

export interface RecordingCredentials extends CredentialsSource {
  readonly asked: { which: 'primary' | 'breakGlass'; forceRefresh: boolean }[];
  primary: ClientCredentials | undefined;
  breakGlass: ClientCredentials | undefined;
}

export function emulatorCredentials(): RecordingCredentials {
  const source: RecordingCredentials = {
    asked: [],
    primary: DEFAULT_EMULATOR_CLIENTS.primary,
    breakGlass: DEFAULT_EMULATOR_CLIENTS.breakGlass,
    async get(which, options) {
      source.asked.push({ which, forceRefresh: options?.forceRefresh ?? false });
      return which === 'primary' ? source.primary : source.breakGlass;
    },
  };
  return source;
}

/** Raw HTTP against the emulator, as curl would do it. */
export async function token(
  url: string,
  credentials: ClientCredentials = DEFAULT_EMULATOR_CLIENTS.primary,
): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function api(
  url: string,
  accessToken: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
