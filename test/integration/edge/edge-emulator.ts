// The browser tests' edge: the drill's distribution and origin stand-ins (drill/edge/edge-stand-in.ts) over
// an in-memory KeyValueStore the tests flip directly, with `originDown` as a 5xx origin fault.

import { DRILL_SUPPORT_EMAIL, startEdgeStandIn } from '../../../drill/edge/edge-stand-in';
import { InMemoryKeyValueStore } from '../../../lambdas/adapters/cloudfront-kvs';
import { EDGE_DEFAULTS } from '../../../lambdas/edge/edge-config';

export const SUPPORT_EMAIL = DRILL_SUPPORT_EMAIL;

export interface EdgeEmulator {
  readonly url: string;
  readonly kvs: InMemoryKeyValueStore;
  /** Every request the "distribution" received, in order (path only). */
  readonly requests: string[];
  originDown: boolean;
  /** Replace a fallback file, as ops would with an S3 upload. */
  putFallbackFile(name: string, content: string): void;
  close(): Promise<void>;
}

export async function startEdgeEmulator(): Promise<EdgeEmulator> {
  const kvs = new InMemoryKeyValueStore({ [EDGE_DEFAULTS.flagKey]: EDGE_DEFAULTS.flagOffValue });
  const site = await startEdgeStandIn({ readFlag: (key) => kvs.peek(key) });
  return {
    url: site.url,
    kvs,
    requests: site.requests,
    get originDown() {
      return site.origin.fault !== undefined;
    },
    set originDown(down: boolean) {
      site.origin.fault = down ? '5xx' : undefined;
    },
    putFallbackFile: (name, content) => site.putFallbackFile(name, content),
    close: () => site.close(),
  };
}
