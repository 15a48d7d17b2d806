// The CDK app `cdk synth` / `cdk deploy` runs (cdk.json: `npx tsx bin/app.ts`). It reads the deploy
// settings from context, the controller config from the file named by `-c config=…`, builds the
// stack(s), and runs cdk-nag AwsSolutions on every synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../lambdas/core/config';
import { deployRefusals } from '../lambdas/core/deploy-checks';
import { ConfigError } from '../lambdas/core/errors';
import { type ContextKey, deployOptionsFromContext, readConfigFile } from '../lib/deploy-context';
import { addSurgeStacks } from '../lib/surge-app';
import { CLI_EDGE_FLAG } from './cli/io';

const PREFIX = 'cx-surge-controller: invalid configuration:';

/** A mistake is the user's to fix: one line each naming the key, exit 1, no stack trace. */
function refuse(messages: readonly string[]): never {
  for (const m of messages) console.error(`${PREFIX} ${m}`);
  process.exit(1);
}

const app = new App();
try {
  const options = deployOptionsFromContext((key: ContextKey) => app.node.tryGetContext(key));
  const input = readConfigFile(options.configPath);
  // What the constructs would refuse only after bundling every function: checked first, same wording.
  const edge = options.edge ? { flag: CLI_EDGE_FLAG } : undefined;
  const refusals = deployRefusals(parseConfig(input), edge);
  if (refusals.length > 0) refuse(refusals.map((e) => e.message));
  addSurgeStacks(app, options, input, {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  refuse([error.message]);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
try {
  app.synth();
} catch (error) {
  // Construct validations (addValidation) fail synth with every message in one error: print those lines only.
  if (!(error instanceof Error) || !/^Validation failed/.test(error.message)) throw error;
  refuse(
    error.message
      .split('\n')
      .slice(1)
      .map((line) => line.trim().replace(/^\[[^\]]*\]\s*/, ''))
      .filter(Boolean),
  );
}
