// Lambda entry: poll-observations. Schedule (or Genesys partner event) → read every configured queue →
// one QueueObservation event each → housekeeping (stale pages, reconcile actuators, retry pages).
import type { Context } from 'aws-lambda';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry';
import type { PollerDeps } from '../app/deps';
import { awsControllerDeps } from './aws-deps';
import { createPollHandler } from './poll-handler';

const telemetry = new PowertoolsTelemetry();
let requestId = 'poll-observations';
let deps: PollerDeps | undefined;
const poll = createPollHandler(() => (deps ??= awsControllerDeps(telemetry, () => requestId)), telemetry);

/** The runtime's remaining time, when the context carries it (tests pass partial contexts). */
const remainingMs = (context?: Context): number | undefined =>
  typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;

export const handler = async (event: unknown, context?: Context) => {
  requestId = context?.awsRequestId ?? requestId;
  if (context) telemetry.logger.addContext(context);
  const result = await poll(event, { remainingMs: remainingMs(context) });
  return {
    observations: result.observations.length,
    staleQueues: result.staleQueues,
    readError: result.readError,
  };
};
