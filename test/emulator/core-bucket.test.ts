import { describe, expect, it } from "vitest";
import { emulatorPerTest } from "../support/emulator.ts";
import { configureAccount, configureVideo, createBundle, D3 } from "./bundles.fixtures.ts";

/** The bucket runs on the real clock; the test freezes that clock to assert exact arithmetic. */
function frozenClock(startMs = 1_800_000_000_000) {
  const clock = { t: startMs, now: () => clock.t };
  return clock;
}

describe("emulator core: token bucket", () => {
  const { start } = emulatorPerTest();

  it("allows a burst of 120, answers the 121st with 429 and exact Retry-After / X-RateLimit-*", async () => {
    const clock = frozenClock();
    const emu = await start({ realClock: clock.now });
    const remaining: number[] = [];
    for (let i = 0; i < 120; i++) {
      const res = await emu.api("GET", "/credits/balance");
      expect(res.status).toBe(200);
      remaining.push(Number(res.headers.get("x-ratelimit-remaining")));
    }
    expect(remaining[0]).toBe(119);
    expect(remaining[119]).toBe(0);

    const limited = await emu.api("GET", "/credits/balance");
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMIT_EXCEEDED");
    expect(limited.body.error.details.retry_after_seconds).toBe(1);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("x-ratelimit-limit")).toBe("120");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    // Empty bucket, 2 tokens/s: full again in 60 s.
    expect(Number(limited.headers.get("x-ratelimit-reset"))).toBe(clock.t / 1000 + 60);
    expect(limited.headers.get("x-tokportal-request-id")).toMatch(/^req_/);

    // 401s consume nothing and are answered even with an empty bucket.
    const unauth = await emu.api("GET", "/credits/balance", { key: null });
    expect(unauth.status).toBe(401);

    // Half a second later one token has refilled.
    clock.t += 500;
    const again = await emu.api("GET", "/credits/balance");
    expect(again.status).toBe(200);
    expect(again.headers.get("x-ratelimit-remaining")).toBe("0");
    expect((await emu.api("GET", "/credits/balance")).status).toBe(429);
  });

  it("keeps one bucket per key", async () => {
    const clock = frozenClock();
    const emu = await start({ realClock: clock.now, bucket: { capacity: 3, refillPerSecond: 2 } });
    for (let i = 0; i < 3; i++) expect((await emu.api("GET", "/me")).status).toBe(200);
    expect((await emu.api("GET", "/me")).status).toBe(429);
    const other = emu.createKey();
    const res = await emu.api("GET", "/me", { key: other.apiKey });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-remaining")).toBe("2");
  });

  it("rounds Retry-After up to whole seconds for a slow refill", async () => {
    const clock = frozenClock();
    const emu = await start({ realClock: clock.now, bucket: { capacity: 2, refillPerSecond: 0.3 } });
    await emu.api("GET", "/me");
    await emu.api("GET", "/me");
    clock.t += 1000; // 0.3 tokens back; 0.7 missing at 0.3/s = 2.33 s
    const res = await emu.api("GET", "/me");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.body.error.details.retry_after_seconds).toBe(3);
  });

  it("applies the capacity window to bundle creation with 429 capacity_cooldown on the simulated clock", async () => {
    const emu = await start();
    const rules = await emu.admin("POST", "/rules", { createCapacity: { limit: 2, windowSeconds: 600 } });
    expect(rules.status).toBe(200);
    const body = { bundle_type: "account_only", country: "USA" };
    expect((await emu.api("POST", "/bundles", { body })).status).toBe(201);
    await emu.advance(100);
    expect((await emu.api("POST", "/bundles", { body })).status).toBe(201);
    const full = await emu.api("POST", "/bundles", { body });
    expect(full.status).toBe(429);
    expect(full.body.error.code).toBe("capacity_cooldown");
    expect(full.headers.get("retry-after")).toBe("500");
    // A bulk request counts accounts_count × platforms as a whole.
    await emu.advance(500);
    const bulk = await emu.api("POST", "/bundles/bulk", {
      body: { platforms: ["tiktok", "instagram"], country: "USA", accounts_count: 1 },
    });
    expect(bulk.status).toBe(429);
    expect(bulk.body.error.code).toBe("capacity_cooldown");
    await emu.advance(100);
    const fits = await emu.api("POST", "/bundles/bulk", {
      body: { platforms: ["tiktok", "instagram"], country: "USA", accounts_count: 1 },
    });
    expect(fits.status).toBe(201);
    expect(Object.keys(emu.state().bundles)).toHaveLength(4);
  });

  it("applies the publication window to publishBundle; a refused publish changes nothing", async () => {
    const emu = await start({ rules: { publishCapacity: { limit: 1, windowSeconds: 600 } } });
    const ready = async () => {
      const id = await createBundle(emu, { videos_quantity: 1 });
      await configureAccount(emu, id);
      await configureVideo(emu, id, 1, D3);
      return id;
    };
    const [a, b] = [await ready(), await ready()];
    expect((await emu.api("POST", `/bundles/${a}/publish`)).status).toBe(200);
    await emu.advance(60);
    const full = await emu.api("POST", `/bundles/${b}/publish`);
    expect(full.status).toBe(429);
    expect(full.body.error).toMatchObject({
      code: "capacity_cooldown",
      details: { retry_after_seconds: 540, limit: 1, window_seconds: 600 },
    });
    expect(full.headers.get("retry-after")).toBe("540");
    expect(emu.state().bundles[b]?.status).toBe("pending_setup");
    await emu.advance(540);
    expect((await emu.api("POST", `/bundles/${b}/publish`)).status).toBe(200);
  });
});
