/**
 * The script a test spawns to run `tokportal-sync`: the CLI compiled once for this test run by
 * test/support/cli-build.ts (a vitest global setup), or bin/tokportal-sync.js when that setup did not run
 * (a config without it). Both run the same src/ code.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

export function cliEntry(): string {
  return inject("cliEntry") ?? path.join(root, "bin/tokportal-sync.js");
}

declare module "vitest" {
  export interface ProvidedContext {
    cliEntry: string;
  }
}
