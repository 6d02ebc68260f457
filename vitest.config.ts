import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Fails a test during which an API key reached the console (a setup file: CI's --reporter flags
    // replace configured reporters).
    setupFiles: ["test/support/secrets-guard.ts"],
    // Compiles the CLI once for the tests that spawn it (see the file).
    globalSetup: ["test/support/cli-build.ts"],
  },
});
