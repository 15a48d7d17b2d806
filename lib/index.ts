// The package's public constructs, for a platform team's own CDK app:
//   import { SurgeController } from 'cx-surge-controller';
// (`aws-cdk-lib` and `constructs` are peer dependencies: the app's own copies are used.)

export { parseConfig, type SurgeConfig } from '../lambdas/core/config';
export { FAILOVER_STATUS_CODES, SurgeEdge, type SurgeEdgeProps } from './edge';
export { addSurgeStacks, type SurgeStacks } from './surge-app';
export {
  type ExistingEdgeProps,
  existingEdge,
  SurgeController,
  type SurgeControllerProps,
} from './surge-controller';
export { SurgeControllerStack, type SurgeControllerStackProps } from './surge-controller-stack';
export { SurgeMonitoring, type SurgeMonitoringProps } from './surge-monitoring';
