// The Data Action users import (docs/crm-data-action.json) must describe what crm-lookup really takes
// and returns: a field the handler adds without the contract is invisible in Architect, and a field the
// contract promises but the handler drops breaks the flow at run time.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CUSTOMER_FIELDS } from '../../../lambdas/core/crm/config';
import { answers } from '../../../lambdas/core/crm/lookup';
import { CrmLookupEventSchema, toOutput } from '../../../lambdas/handlers/crm-lookup-handler';

const action = JSON.parse(
  readFileSync(new URL('../../../docs/crm-data-action.json', import.meta.url), 'utf8'),
);
const output = action.contract.output.successSchema;
const input = action.contract.input.inputSchema;

describe('Data Action definition', () => {
  it('declares exactly the inputs the handler parses', () => {
    expect(Object.keys(input.properties).sort()).toEqual(Object.keys(CrmLookupEventSchema().shape).sort());
  });

  it('declares every output field the handler returns, for every kind of answer', () => {
    const customer = {
      customerId: 'C1',
      fullName: 'Ada',
      email: 'a@x',
      phone: '+1',
      tier: 'gold',
      accountStatus: 'active',
      preferredLanguage: 'en',
    };
    const samples = [
      toOutput(answers.live(customer, [{ orderId: 'O1', placedAt: 'x', status: 's', total: '1' }]), 40),
      toOutput(answers.none(), 3),
      toOutput(answers.error(403), 5),
    ];
    for (const sample of samples) {
      expect(Object.keys(sample).sort()).toEqual(Object.keys(output.properties).sort());
    }
    expect(Object.keys(output.properties.customer.properties).sort()).toEqual([...CUSTOMER_FIELDS].sort());
    expect(Object.keys(output.properties.orderHistory.items.properties).sort()).toEqual(
      Object.keys(samples[0]?.orderHistory[0] ?? {}).sort(),
    );
    expect(output.properties.source.enum).toEqual(['primary', 'secondary', 'cache', 'none']);
  });

  it('is an AWS Lambda data action passing the raw request and result through', () => {
    expect(action.integrationType).toBe('aws-lambda-data-actions');
    expect(action.config.request.requestTemplate).toBe(['$', '{input.rawRequest}'].join(''));
    expect(action.config.response.successTemplate).toBe(['$', '{rawResult}'].join(''));
  });
});
