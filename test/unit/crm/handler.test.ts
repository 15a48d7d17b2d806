// The handler's edge: what a Genesys Data Action sends (unset inputs as empty strings) and what it gets.
import { describe, expect, it } from 'vitest';
import { RecordingTelemetry } from '../../../lambdas/app/telemetry';
import { CrmLookupEventSchema, createCrmLookupHandler } from '../../../lambdas/handlers/crm-lookup-handler';

const unusable = () => {
  throw new Error('no lookup may run without a customer id or phone');
};

describe('crm-lookup handler', () => {
  it.each([[{}], [{ customerId: '', phone: '  ' }], [{ customerId: 42 }], [null], ['C1']])(
    'answers %j with a clear no-key answer instead of failing the Data Action',
    async (event) => {
      const telemetry = new RecordingTelemetry();
      const handler = createCrmLookupHandler(unusable, telemetry);

      const out = await handler(event);

      expect(out).toMatchObject({
        found: false,
        source: 'none',
        readOnly: true,
        errorStatus: 400,
        customer: {},
      });
      expect(out.banner).toMatch(/No customer id or phone number/);
      expect(telemetry.logs.map((l) => l.level)).toEqual(['warn']);
    },
  );

  it('treats empty strings from Genesys as absent and prefers the customer id', () => {
    expect(CrmLookupEventSchema().parse({ customerId: '', phone: '+1555', interactionId: '' })).toEqual({
      phone: '+1555',
    });
  });
});
