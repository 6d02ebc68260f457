import { describe, expect, it } from "vitest";
import { loadSpec } from "../../src/api/spec.ts";
import { CapacityWindows } from "../../src/emulator/capacity.ts";
import { RequestLog } from "../../src/emulator/request-log.ts";
import { Router } from "../../src/emulator/router.ts";
import { DEFAULT_RULES, mergeRules } from "../../src/emulator/rules.ts";

describe("emulator core units", () => {
  it("routes every spec operation back to itself, with static segments beating parameters", () => {
    const spec = loadSpec();
    const router = new Router(spec.operations.values());
    let checked = 0;
    for (const op of spec.operations.values()) {
      const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => `v-${name}`);
      const match = router.match(op.method, path);
      expect(match.kind, `${op.method} ${op.path}`).toBe("op");
      if (match.kind !== "op") continue;
      expect(match.op.operationId).toBe(op.operationId);
      for (const name of op.pathParams) expect(match.params[name]).toBe(`v-${name}`);
      checked++;
    }
    expect(checked).toBe(spec.operations.size);
    const batch = router.match("PUT", "/bundles/abc/videos/batch");
    expect(batch.kind === "op" && batch.op.operationId).toBe("batchConfigureBundleVideos");
    const position = router.match("PUT", "/bundles/abc/videos/4");
    expect(position.kind === "op" && position.params).toEqual({ id: "abc", position: "4" });
    const encoded = router.match("GET", "/bundles/a%20b");
    expect(encoded.kind === "op" && encoded.params.id).toBe("a b");
    expect(router.match("PATCH", "/me")).toEqual({ kind: "method_not_allowed", allowed: ["GET"] });
    expect(router.match("GET", "/bundles/x/y/z/w/v")).toEqual({ kind: "not_found" });
  });

  it("keeps a bounded request log whose indexes survive trimming", () => {
    const log = new RequestLog(10);
    const entry = {
      method: "GET",
      path: "/api/ext/me",
      status: 200,
      at: "2026-01-01T00:00:00.000Z",
      operationId: "getCurrentUser",
      request_id: "r",
      replayed: false,
      dry_run: false,
      fault: null,
    };
    for (let i = 0; i < 25; i++) log.add({ ...entry, status: 200 + i });
    const all = log.since(0);
    expect(all.length).toBeLessThanOrEqual(10);
    expect(all.at(-1)?.index).toBe(24);
    expect(all.at(-1)?.status).toBe(224);
    expect(log.since(23).map((e) => e.index)).toEqual([23, 24]);
    log.clear();
    expect(log.since(0)).toEqual([]);
    log.add(entry);
    expect(log.since(0)[0]?.index).toBe(25);
  });

  it("computes capacity waits from the oldest uses in the window", () => {
    const windows = new CapacityWindows();
    const limit = { limit: 3, windowSeconds: 100 };
    expect(windows.check("w", limit, 2, 0)).toBe(0);
    windows.record("w", 2, 0);
    windows.record("w", 1, 40_000);
    expect(windows.check("w", limit, 1, 50_000)).toBe(50);
    expect(windows.check("w", limit, 3, 50_000)).toBe(90);
    expect(windows.check("w", limit, 1, 100_001)).toBe(0);
    expect(windows.check("other", limit, 3, 0)).toBe(0);
    expect(windows.check("w", limit, 4, 0)).toBe(100);
  });

  it("merges rules and refuses nonsense", () => {
    const rules = mergeRules(DEFAULT_RULES, { publishCapacity: { limit: 5, windowSeconds: 60 } });
    expect(rules.publishCapacity).toEqual({ limit: 5, windowSeconds: 60 });
    expect(rules.managers).toEqual(DEFAULT_RULES.managers);
    expect(mergeRules(rules, { publishCapacity: null }).publishCapacity).toBeNull();
    expect(() => mergeRules(rules, { defaultPlanTier: "gold" as never })).toThrow(/defaultPlanTier/);
    expect(() => mergeRules(rules, { managers: { acceptAfterSeconds: -1 } })).toThrow(/acceptAfterSeconds/);
  });
});
