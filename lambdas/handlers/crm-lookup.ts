// Lambda entry: crm-lookup. A Genesys Cloud Data Action (AWS Lambda integration) invokes it with
// { customerId | phone, interactionId } and maps the answer onto its output contract (docs/crm.md).
import type { Context } from 'aws-lambda';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry';
import type { CrmLookupDeps } from '../app/crm-lookup';
import { awsCrmLookupDeps } from './crm-lookup-deps';
import { createCrmLookupHandler } from './crm-lookup-handler';

const telemetry = new PowertoolsTelemetry();
let deps: CrmLookupDeps | undefined;
const lookup = createCrmLookupHandler(() => (deps ??= awsCrmLookupDeps(telemetry)), telemetry);

export const handler = async (event: unknown, context?: Context) => {
  if (context) telemetry.logger.addContext(context);
  return lookup(event);
};
