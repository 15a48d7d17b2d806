// The CDK app `cdk synth` / `cdk deploy` runs (cdk.json: `npx tsx bin/app.ts`). It reads the deploy
// settings from context, the controller config from the file named by `-c config=…`, builds the
// stack(s), and runs cdk-nag AwsSolutions on every synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/errors';
import { type ContextKey, deployOptionsFromContext, readConfigFile } from '../lib/deploy-context';
import { addSurgeStacks } from '../lib/surge-app';

const app = new App();
try {
  const options = deployOptionsFromContext((key: ContextKey) => app.node.tryGetContext(key));
  addSurgeStacks(app, options, readConfigFile(options.configPath), {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  });
} catch (error) {
  // A config mistake is the user's to fix: one line naming the key, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`cx-surge-controller: invalid configuration: ${error.message}`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
