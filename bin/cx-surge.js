#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx cx-surge …` works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run that its 2027 releases will need Node 22. The Lambdas run on Node 24;
// the CLI is fine on 20. Keep the drill's output readable (set the variable to 'false' to see it).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./surge.ts');
process.exitCode = await main(process.argv.slice(2));
