import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start dynalite and the Genesys emulator on loopback; give them room on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
