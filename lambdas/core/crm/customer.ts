// Normalising what a CRM answered: a declared field map turns the endpoint's record into one customer
// shape, whichever endpoint (or schema) it came from. Pure: a record in, a customer or a reason out.
import type { CustomerField, FieldMap } from './config';

/** The normalised customer every answer carries (fields the endpoint did not send are absent). */
export type Customer = { readonly customerId: string } & Partial<
  Readonly<Record<Exclude<CustomerField, 'customerId'>, string>>
>;

/** One order of the primary's order history, as the screen pop shows it. */
export interface Order {
  readonly orderId: string;
  readonly placedAt?: string;
  readonly status?: string;
  readonly total?: string;
}

export type Mapped<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly detail: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at a dotted path ('' = the value itself). */
export function at(value: unknown, dotted: string): unknown {
  if (dotted === '') return value;
  let current = value;
  for (const key of dotted.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

/**
 * Maps one record through `fieldMap` (source field → customer field). A record without a usable
 * `customerId` is not a customer (the 200 did not match: a failure, never a crash); other fields that
 * are missing, null or not scalars are left out.
 */
export function mapCustomer(record: unknown, fieldMap: FieldMap): Mapped<Customer> {
  if (!isObject(record)) return { ok: false, detail: 'the record is not a JSON object' };
  const out: Record<string, string> = {};
  for (const [source, target] of Object.entries(fieldMap)) {
    const value = scalar(at(record, source));
    if (value !== undefined && value !== '') out[target] = value;
  }
  if (out.customerId === undefined) {
    const source = Object.entries(fieldMap).find(([, target]) => target === 'customerId')?.[0];
    return { ok: false, detail: `the record has no '${source}' (mapped to customerId)` };
  }
  return { ok: true, value: out as Customer };
}

/** The endpoint's own name for a customer field (the reverse of its field map), to build a search body. */
export function sourceFieldOf(fieldMap: FieldMap, target: CustomerField): string | undefined {
  return Object.entries(fieldMap).find(([, t]) => t === target)?.[0];
}

/** The primary's order history; entries without an id are dropped, a non-array is a mismatch. */
export function mapOrderHistory(value: unknown): Mapped<Order[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  if (!Array.isArray(value)) return { ok: false, detail: 'order history is not an array' };
  const orders: Order[] = [];
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const orderId = scalar(entry.order_id ?? entry.orderId);
    if (orderId === undefined) continue;
    const placedAt = scalar(entry.placed_at ?? entry.placedAt);
    const status = scalar(entry.status);
    const total = scalar(entry.total);
    orders.push({
      orderId,
      ...(placedAt !== undefined ? { placedAt } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(total !== undefined ? { total } : {}),
    });
  }
  return { ok: true, value: orders };
}
