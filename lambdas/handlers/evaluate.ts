// Lambda entry: evaluate. EventBridge (QueueObservation on the controller bus, or the edge origin
// alarm's state change) → parse → core → actuators → pages. Wiring in aws-deps.ts, logic in ../app.
import type { Context } from 'aws-lambda';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry';
import type { PollerDeps } from '../app/deps';
import { awsControllerDeps } from './aws-deps';
import { createEvaluateHandler } from './evaluate-handler';

const telemetry = new PowertoolsTelemetry();
let requestId = 'evaluate';
let deps: PollerDeps | undefined;
const evaluate = createEvaluateHandler(
  () => (deps ??= awsControllerDeps(telemetry, () => requestId)),
  telemetry,
);

/** The runtime's remaining time, when the context carries it (tests pass partial contexts). */
const remainingMs = (context?: Context): number | undefined =>
  typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;

export const handler = async (event: unknown, context?: Context) => {
  requestId = context?.awsRequestId ?? requestId;
  if (context) telemetry.logger.addContext(context);
  return evaluate(event, { remainingMs: remainingMs(context) });
};
