import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start dynalite and the Genesys emulator on loopback; give them room on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The AWS SDK's "2027 releases need Node 22" notice says nothing about our code; keep logs readable.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
