/**
 * `npm run gen:types`: the TypeScript types of the contract the code validates against, the vendored spec
 * with spec/overlay.yaml merged (spec.ts), written to src/api/generated/openapi.ts by openapi-typescript;
 * and the vendored spec's parsed form (spec/tokportal-openapi.json), which spares every start the YAML parse.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { parsedSpecFile, readContract, SPEC_JSON_PATH } from "./spec.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const out = path.join(root, "src/api/generated/openapi.ts");
writeFileSync(SPEC_JSON_PATH, `${JSON.stringify(parsedSpecFile())}\n`);
const dir = mkdtempSync(path.join(tmpdir(), "tps-contract-"));
try {
  const merged = path.join(dir, "tokportal-openapi.yaml");
  writeFileSync(merged, stringify(readContract<object>()));
  const bin = path.join(root, "node_modules/.bin/openapi-typescript");
  execFileSync(bin, [merged, "-o", out], { stdio: "inherit" });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
