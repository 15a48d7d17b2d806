import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CrmLookup } from './crm-lookup';
import type { CrmDeployOptions } from './deploy-context';
import { DrSwitch, type DrSwitchProps } from './dr-switch';
import { SurgeController, type SurgeControllerProps } from './surge-controller';

export interface SurgeControllerStackProps extends StackProps {
  /** Everything the controller construct takes (config, subscriptions, edge …). */
  readonly controller: SurgeControllerProps;
  /** The CRM screen-pop lookup (docs/crm.md). @default none */
  readonly crm?: CrmDeployOptions;
  /** The DR switchover (docs/dr.md), on the controller's table and pager. @default none */
  readonly dr?: Omit<DrSwitchProps, 'table' | 'pagerTopic' | 'pagerTopicKey'>;
}

/** The deployable unit `cdk deploy` creates: one SurgeController and the outputs operators need. */
export class SurgeControllerStack extends Stack {
  readonly controller: SurgeController;
  readonly crmLookup?: CrmLookup;
  readonly drSwitch?: DrSwitch;

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
    if (props.crm) this.crmLookup = this.addCrmLookup(props.crm, props.controller.deletionProtection ?? true);
  }

  private addCrmLookup(crm: CrmDeployOptions, protect: boolean): CrmLookup {
    const lookup = new CrmLookup(this, 'CrmLookup', {
      ...crm,
      table: this.controller.table,
      alarmTopic: this.controller.pagerTopic,
      dashboard: this.controller.monitoring.dashboard,
      logRemovalPolicy: protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new CfnOutput(this, 'CrmLookupFunctionArn', { value: lookup.function.functionArn });
    new CfnOutput(this, 'CrmLookupInvokeRoleArn', { value: lookup.invokeRole.roleArn });
    return lookup;
  }
}
