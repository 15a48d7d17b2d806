// The package entry for plain Node (ESM): the constructs are TypeScript sources, loaded through tsx (a
// dependency) so there is no build step to forget. TypeScript apps get the types from lib/index.ts.
import { tsImport } from 'tsx/esm/api';

const m = await tsImport('./index.ts', import.meta.url);
export const {
  SurgeController,
  SurgeControllerStack,
  SurgeMonitoring,
  SurgeEdge,
  FAILOVER_STATUS_CODES,
  addSurgeStacks,
  existingEdge,
  parseConfig,
} = m;
