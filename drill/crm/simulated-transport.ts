// The drill's HTTP transport for the CRM stand-ins: real HTTP on loopback, with the stand-in's announced
// latency (`x-simulated-latency-ms`) spent on the simulated clock. An answer slower than the call's
// timeout is a timeout, after exactly `timeoutMs` of simulated time — what a real client would see.
import { fetchTransport, HttpTimeoutError, type HttpTransport } from '../../lambdas/adapters/crm/http';
import { SIMULATED_LATENCY_HEADER } from './stand-in';

export interface SimulatedTransportOptions {
  /** Advances simulated time. */
  readonly advance: (ms: number) => void;
  /** Real-time guard against a stand-in that never answers. @default 5000 */
  readonly realTimeoutMs?: number;
  readonly inner?: HttpTransport;
}

export function simulatedTransport(options: SimulatedTransportOptions): HttpTransport {
  const inner = options.inner ?? fetchTransport;
  return async (request, timeoutMs) => {
    const response = await inner(request, options.realTimeoutMs ?? 5000);
    const announced = response.headers[SIMULATED_LATENCY_HEADER];
    const latencyMs =
      announced === undefined ? 0 : announced === 'never' ? Number.POSITIVE_INFINITY : Number(announced);
    if (latencyMs >= timeoutMs) {
      options.advance(timeoutMs);
      throw new HttpTimeoutError(timeoutMs);
    }
    options.advance(latencyMs);
    return response;
  };
}
