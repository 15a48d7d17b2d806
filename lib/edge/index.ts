export { FAILOVER_STATUS_CODES, SurgeEdge, type SurgeEdgeProps } from './surge-edge';
