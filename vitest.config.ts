import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The longest files first (the reliability trials, then the CLI tests that spawn processes), so that on a
 * fresh clone, which has no timings from an earlier run, none of them starts last and runs alone.
 */
const SLOW_FIRST = ["test/reliability/", "test/cli/"];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const i = SLOW_FIRST.findIndex((dir) => spec.moduleId.includes(`/${dir}`));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    // A stable sort: within a rank, the order vitest chose (its timings of the last run, when it has them).
    return sorted
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map((x) => x.spec);
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // vitest's default is one worker less than the cores: a single worker on a 2-core machine. Most test
    // time is spent waiting (on HTTP, child processes, retry back-off), so two files run side by side.
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
    // Fails a test during which an API key reached the console (a setup file: CI's --reporter flags
    // replace configured reporters).
    setupFiles: ["test/support/secrets-guard.ts"],
    // Compiles the CLI once for the tests that spawn it (see the file).
    globalSetup: ["test/support/cli-build.ts"],
  },
});
