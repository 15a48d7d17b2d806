import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start dynalite and the Genesys emulator on loopback, infra tests bundle and synth;
    // on 2 shared cores a whole drill or synth can take over 30 s. Timeouts only catch hangs: speed targets
    // live in `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The AWS SDK's "2027 releases need Node 22" notice says nothing about our code; keep logs readable.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
