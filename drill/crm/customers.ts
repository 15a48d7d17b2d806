// The stand-ins' seeded customer set: the same customers in both CRMs, each in its own schema.
// Deterministic (no randomness), so drills, tests and benchmarks look up the same people.

export interface SeedCustomer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly tier: 'gold' | 'silver' | 'bronze';
  readonly status: 'active' | 'suspended';
  readonly language: string;
  readonly orders: readonly { id: string; placedAt: string; status: string; total: string }[];
}

const FIRST = ['Ada', 'Bruno', 'Chloé', 'Dmitri', 'Esra', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas'];
const LAST = [
  'Lovelace',
  'Silva',
  'Martin',
  'Ivanov',
  'Yilmaz',
  'Haddad',
  'Hopper',
  'Tanaka',
  'García',
  'Berg',
];
const TIERS = ['gold', 'silver', 'bronze'] as const;
const LANGUAGES = ['en-US', 'pt-BR', 'fr-FR', 'de-DE'];

/** Customer ids of the seeded set: C0001 … C<count>. */
export const seedCustomerId = (n: number): string => `C${String(n).padStart(4, '0')}`;

export function seedCustomers(count = 200): SeedCustomer[] {
  const out: SeedCustomer[] = [];
  for (let n = 1; n <= count; n++) {
    const first = FIRST[n % FIRST.length] as string;
    const last = LAST[Math.floor(n / FIRST.length) % LAST.length] as string;
    const orders = Array.from({ length: n % 4 }, (_, i) => ({
      id: `O${n}-${i + 1}`,
      placedAt: new Date(Date.UTC(2026, 10, 1 + ((n + i) % 28))).toISOString(),
      status: i === 0 ? 'shipped' : 'delivered',
      total: `${(19.99 + n + i * 7).toFixed(2)} USD`,
    }));
    out.push({
      id: seedCustomerId(n),
      name: `${first} ${last}`,
      email: `${first}.${last}.${n}@example.com`.toLowerCase(),
      phone: `+1555${String(1_000_000 + n).slice(1)}`,
      tier: TIERS[n % TIERS.length] as SeedCustomer['tier'],
      status: n % 17 === 0 ? 'suspended' : 'active',
      language: LANGUAGES[n % LANGUAGES.length] as string,
      orders,
    });
  }
  return out;
}

/** The primary's schema (snake_case, order history inside the record). */
export const primaryRecord = (c: SeedCustomer, withOrders: boolean): Record<string, unknown> => ({
  customer_id: c.id,
  full_name: c.name,
  email: c.email,
  phone: c.phone,
  loyalty_tier: c.tier,
  account_status: c.status,
  preferred_language: c.language,
  ...(withOrders
    ? {
        order_history: c.orders.map((o) => ({
          order_id: o.id,
          placed_at: o.placedAt,
          status: o.status,
          total: o.total,
        })),
      }
    : {}),
});

/** The replica's schema: other field names (acct_id for customer_id …), no order history. */
export const secondaryRecord = (c: SeedCustomer): Record<string, unknown> => ({
  acct_id: c.id,
  display_name: c.name,
  email_address: c.email,
  phone_e164: c.phone,
  segment: c.tier.toUpperCase(),
  state: c.status,
  locale: c.language,
  replicated_at: '2026-11-30T00:00:00Z',
});
