import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SurgeController, type SurgeControllerProps } from './surge-controller';

export interface SurgeControllerStackProps extends StackProps {
  /** Everything the controller construct takes (config, subscriptions, edge …). */
  readonly controller: SurgeControllerProps;
}

/** The deployable unit `cdk deploy` creates: one SurgeController and the outputs operators need. */
export class SurgeControllerStack extends Stack {
  readonly controller: SurgeController;

  constructor(scope: Construct, id: string, props: SurgeControllerStackProps) {
    super(scope, id, { description: 'cx-surge-controller: surge controller for Genesys Cloud', ...props });
    this.controller = new SurgeController(this, 'Controller', props.controller);
    new CfnOutput(this, 'StateTableName', { value: this.controller.table.tableName });
    new CfnOutput(this, 'PagerTopicArn', { value: this.controller.pagerTopic.topicArn });
    new CfnOutput(this, 'ObservationBusName', { value: this.controller.observationBus.eventBusName });
    new CfnOutput(this, 'EvaluateDlqUrl', { value: this.controller.evaluateDlq.queueUrl });
    // `cx-surge override` invokes the poller once so an override takes effect at once (docs/operate.md).
    new CfnOutput(this, 'PollFunctionName', { value: this.controller.poller.function.functionName });
    new CfnOutput(this, 'DashboardName', { value: this.controller.monitoring.dashboard.dashboardName });
  }
}
