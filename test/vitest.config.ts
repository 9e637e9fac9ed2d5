import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts real processes; run files one at a time on small machines.
    fileParallelism: false,
    reporters: process.env.CI ? ["verbose"] : ["default"],
  },
});
