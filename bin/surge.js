#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx surge …` works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./surge.ts');
process.exitCode = await main(process.argv.slice(2));
