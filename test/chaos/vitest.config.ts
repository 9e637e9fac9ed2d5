// The chaos suite on its own (`npx vitest run --config chaos/vitest.config.ts` from test/); `npx vitest run chaos`
// with test/vitest.config.ts runs the same files, each scenario carrying its own timeout.
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: new URL("..", import.meta.url).pathname,
  test: {
    include: ["chaos/**/*.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    // Scenarios start real processes and time faults against leases: never two at once.
    fileParallelism: false,
    reporters: process.env.CI ? ["verbose"] : ["default"],
  },
});
