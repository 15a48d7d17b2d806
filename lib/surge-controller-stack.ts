import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DrSwitch, type DrSwitchProps } from './dr-switch';
import { SurgeController, type SurgeControllerProps } from './surge-controller';

export interface SurgeControllerStackProps extends StackProps {
  /** Everything the controller construct takes (config, subscriptions, edge …). */
  readonly controller: SurgeControllerProps;
  /** The DR switchover (docs/dr.md), on the controller's table and pager. @default none */
  readonly dr?: Omit<DrSwitchProps, 'table' | 'pagerTopic' | 'pagerTopicKey'>;
}

/** The deployable unit `cdk deploy` creates: one SurgeController and the outputs operators need. */
export class SurgeControllerStack extends Stack {
  readonly controller: SurgeController;
  readonly drSwitch?: DrSwitch;

  constructor(scope: Construct, id: string, props: SurgeControllerStackProps) {
    super(scope, id, { description: 'cx-surge-controller: surge controller for Genesys Cloud', ...props });
    this.controller = new SurgeController(this, 'Controller', props.controller);
    new CfnOutput(this, 'StateTableName', { value: this.controller.table.tableName });
    new CfnOutput(this, 'PagerTopicArn', { value: this.controller.pagerTopic.topicArn });
    new CfnOutput(this, 'ObservationBusName', { value: this.controller.observationBus.eventBusName });
    new CfnOutput(this, 'EvaluateDlqUrl', { value: this.controller.evaluateDlq.queueUrl });
    new CfnOutput(this, 'DashboardName', { value: this.controller.monitoring.dashboard.dashboardName });
    if (props.dr) {
      this.drSwitch = new DrSwitch(this, 'DrSwitch', {
        ...props.dr,
        table: this.controller.table,
        pagerTopic: this.controller.pagerTopic,
        pagerTopicKey: this.controller.pagerTopicKey,
      });
      new CfnOutput(this, 'DrSwitchFunctionName', { value: this.drSwitch.function.functionName });
      new CfnOutput(this, 'DrEmergencyAccessRoleArn', { value: this.drSwitch.emergencyRole.roleArn });
    }
  }
}
