import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The store tests open PGlite or a fresh Postgres database in their hooks: seconds on a loaded machine.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
