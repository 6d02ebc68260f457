import { describe, expect, it } from "vitest";
import type { FaultConfig } from "../../src/emulator/index.ts";
import { emulatorPerTest, type TestEmulator } from "../support/emulator.ts";

/** What a client sees for each of `n` GETs: a status, or "socket" when the connection was dropped. */
async function outcomes(emu: TestEmulator, n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const res = await emu.api("GET", "/me");
      seen.push(String(res.status));
    } catch {
      seen.push("socket");
    }
  }
  return seen;
}

const MIXED: FaultConfig = { errorRate: 0.2, dropRate: 0.1, rate429: 0.1, dropAfterRate: 0.1 };

describe("emulator core: fault injection", () => {
  const { start } = emulatorPerTest();

  it("is reproducible: the same seed gives the same sequence of outcomes", async () => {
    const a = await outcomes(
      await start({ seed: 7, faults: MIXED, bucket: { capacity: 1000, refillPerSecond: 1 } }),
      60,
    );
    const b = await outcomes(
      await start({ seed: 7, faults: MIXED, bucket: { capacity: 1000, refillPerSecond: 1 } }),
      60,
    );
    const c = await outcomes(
      await start({ seed: 8, faults: MIXED, bucket: { capacity: 1000, refillPerSecond: 1 } }),
      60,
    );
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    // Every kind of outcome occurs at these rates over 60 requests.
    expect(a).toContain("200");
    expect(a).toContain("socket");
    expect(a).toContain("429");
    expect(a.some((s) => ["500", "502", "503"].includes(s))).toBe(true);
  });

  it("answers injected errors in the envelope with the API headers, and 429s with Retry-After", async () => {
    const emu = await start({
      faults: { rules: [{ operationId: "getCurrentUser", action: "status", status: 502 }] },
    });
    const res = await emu.api("GET", "/me");
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("BAD_GATEWAY");
    expect(res.headers.get("x-tokportal-api-version")).toBe("2026-05-25");
    expect(res.headers.get("x-tokportal-request-id")).toMatch(/^req_/);
    expect((await emu.api("GET", "/me")).status).toBe(200); // times: 1 by default

    await emu.admin("POST", "/faults", { storm: { everyRequests: 4, length: 2 } });
    const storm = await outcomes(emu, 8);
    expect(storm).toEqual(["200", "200", "429", "429", "200", "200", "429", "429"]);
    const limited = await emu.api("GET", "/me");
    expect(limited.status).toBe(200);
    await emu.api("GET", "/me");
    const stormed = await emu.api("GET", "/me");
    expect(stormed.headers.get("retry-after")).toBe("1");
    expect(stormed.body.error.code).toBe("RATE_LIMIT_EXCEEDED");
    expect(emu.requestLog().at(-1)?.fault).toBe("storm");
  });

  it("never injects faults into the admin endpoints; {} clears the configuration", async () => {
    const emu = await start({ faults: { errorRate: 1 } });
    expect((await emu.api("GET", "/me")).status).toBeGreaterThanOrEqual(500);
    const state = await emu.admin("GET", "/state");
    expect(state.status).toBe(200);
    const cleared = await emu.admin("POST", "/faults", {});
    expect(cleared.body.data).toEqual({});
    expect((await emu.api("GET", "/me")).status).toBe(200);
    const bad = await emu.admin("POST", "/faults", { errorRate: 2 });
    expect(bad.status).toBe(400);
  });

  it("drop: the connection closes before anything happens", async () => {
    const emu = await start({ faults: { rules: [{ operationId: "createBundle", action: "drop" }] } });
    await expect(
      emu.api("POST", "/bundles", { body: { bundle_type: "account_only", country: "USA" } }),
    ).rejects.toThrow();
    expect(Object.keys(emu.state().bundles)).toHaveLength(0);
    expect(emu.requestLog().at(-1)).toMatchObject({ operationId: "createBundle", fault: "rule:drop" });
  });

  it("drop_after: the change is applied but the answer is lost; a retry with the same key replays it", async () => {
    const emu = await start({ faults: { rules: [{ operationId: "createBundle", action: "drop_after" }] } });
    const body = { bundle_type: "account_only", country: "USA" };
    const headers = { "idempotency-key": "create-row-1" };
    await expect(emu.api("POST", "/bundles", { body, headers })).rejects.toThrow();
    expect(Object.keys(emu.state().bundles)).toHaveLength(1);
    const log = emu.requestLog().at(-1);
    expect(log).toMatchObject({ operationId: "createBundle", status: 201, fault: "rule:drop_after" });

    const retry = await emu.api("POST", "/bundles", { body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.data.id).toBe(Object.keys(emu.state().bundles)[0]);
    expect(Object.keys(emu.state().bundles)).toHaveLength(1);
    const balance = await emu.api("GET", "/credits/balance");
    expect(balance.body.data.total_credits).toBe(10_000 - 32);
  });

  it("adds latency with seeded jitter inside its bounds, the same under the same seed", async () => {
    const delays = async (seed: number) => {
      const emu = await start({ seed, faults: { latencyMs: 20, jitterMs: 10 } });
      await outcomes(emu, 12);
      return emu.requestLog().map((e) => e.delay_ms);
    };
    const a = await delays(3);
    expect(a).toHaveLength(12);
    for (const d of a) {
      expect(d).toBeGreaterThanOrEqual(10);
      expect(d).toBeLessThanOrEqual(30);
    }
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(await delays(3)).toEqual(a);
    expect(await delays(4)).not.toEqual(a);
  });
});
