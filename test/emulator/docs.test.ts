/**
 * docs/emulator.md lists the operations that answer 501; this keeps that list equal to the spec operations
 * without a handler, and checks over HTTP that each listed one really answers 501.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpec } from "../../src/api/spec.ts";
import { operations } from "../../src/emulator/ops/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

const DOC = readFileSync(new URL("../../docs/emulator.md", import.meta.url), "utf8");

/** `[operationId, "METHOD /path"]` from the marked block of the doc. */
function documentedNotImplemented(): Array<[string, string]> {
  const block =
    /<!-- emulator:not-implemented:start -->\n([\s\S]*?)<!-- emulator:not-implemented:end -->/.exec(DOC);
  if (!block?.[1]) throw new Error("docs/emulator.md lost its not-implemented markers");
  return block[1]
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^- `(\w+)` — (\w+ \S+)$/.exec(line);
      if (!m?.[1] || !m[2]) throw new Error(`unexpected line in the not-implemented list: ${line}`);
      return [m[1], m[2]];
    });
}

describe("docs/emulator.md", () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ bucket: { capacity: 1000, refillPerSecond: 1 } });
  });
  afterAll(() => emu.stop());

  it("lists exactly the spec operations without a handler, with their method and path", () => {
    const spec = loadSpec();
    const missing = [...spec.operations.values()]
      .filter((op) => !operations[op.operationId])
      .map((op): [string, string] => [op.operationId, `${op.method} ${op.path}`])
      .sort(([a], [b]) => (a < b ? -1 : 1));
    expect(documentedNotImplemented()).toEqual(missing);
  });

  it("every listed operation answers 501 NOT_IMPLEMENTED in the error envelope", async () => {
    for (const [operationId, route] of documentedNotImplemented()) {
      const [method = "", template = ""] = route.split(" ");
      const path = template.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000001");
      const res = await emu.api(method, path, method === "GET" || method === "DELETE" ? {} : { body: {} });
      expect([operationId, res.status, res.body?.error?.code]).toEqual([operationId, 501, "NOT_IMPLEMENTED"]);
      expect(res.body.error.details.operation).toBe(operationId);
    }
  });
});
