// The CDK app `cdk synth` / `cdk deploy` runs (cdk.json: `npx tsx bin/app.ts`). It reads the deploy
// settings from context, the controller config from the file named by `-c config=…`, builds the stack,
// and runs cdk-nag AwsSolutions on every synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/errors';
import { type ContextKey, deployOptionsFromContext, readConfigFile } from '../lib/deploy-context';
import { SurgeControllerStack } from '../lib/surge-controller-stack';

const app = new App();
try {
  const options = deployOptionsFromContext((key: ContextKey) => app.node.tryGetContext(key));
  if (options.edge)
    throw new ConfigError('context.edge', 'the edge stack is not available in this build yet');
  new SurgeControllerStack(app, options.stackName, {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    controller: { ...options.controller, config: readConfigFile(options.configPath) },
  });
} catch (error) {
  // A config mistake is the user's to fix: one line naming the key, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`cx-surge-controller: invalid configuration: ${error.message}`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
