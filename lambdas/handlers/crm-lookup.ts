// Lambda entry: crm-lookup. A Genesys Cloud Data Action (AWS Lambda integration) invokes it with
// { customerId | phone, interactionId } and maps the answer onto its output contract (docs/crm.md).
// A one-minute schedule sends { crmProbe: true }: the CRM breakers' prober runs in this function too.
import type { Context } from 'aws-lambda';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry';
import { awsCrmLookupRuntime } from './crm-lookup-deps';
import { type CrmLookupRuntime, createCrmLookupHandler } from './crm-lookup-handler';

const telemetry = new PowertoolsTelemetry();
let requestId = 'crm-lookup';
let runtime: CrmLookupRuntime | undefined;
const lookup = createCrmLookupHandler(
  () => (runtime ??= awsCrmLookupRuntime(telemetry, () => requestId)),
  telemetry,
);

export const handler = async (event: unknown, context?: Context) => {
  requestId = context?.awsRequestId ?? requestId;
  if (context) telemetry.logger.addContext(context);
  return lookup(event);
};
