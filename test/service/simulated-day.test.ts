/**
 * A simulated day of an agency's service (test/support/service-day.ts says how time is driven): 12 CSV
 * campaigns on 4 keys against the sandbox with TokPortal's bucket, a second service instance over the same
 * campaigns for part of the day, two sheets gone for part of it and one refused key. While one service
 * holds the keys: no 429 and no window over the bucket's bound (the replica's share is reported, not
 * asserted: two services on one key do not share a gate, docs/service.md). All day: the healthy campaigns
 * start a run at every tick they are free for; no two runs of one campaign ever overlap across the
 * instances; every row of every campaign that can run ends synced.
 */
import { describe, expect, it } from "vitest";
import { FAILING_SHEET, HEALTHY, REFUSED, runServiceDay, trail } from "../support/service-day.ts";

describe("a simulated day of the service", () => {
  it("12 campaigns on 4 keys, two instances: at most one 429 per key, within the bucket, on their ticks, no overlap, all synced", async () => {
    const day = await runServiceDay({ ticks: 16, tickSeconds: 2, bundles: 8, videosPerBundle: 5 });
    const healthy = day.ticks.filter((t) => HEALTHY.includes(t.campaign));
    const keys = (ks: typeof day.perKey.alone) =>
      ks.map(
        (k) => `${k.key} ${k.calls} calls, ${k.rateLimited} 429s, worst window ${k.worstExcess.toFixed(1)}`,
      );
    console.log(
      [
        `${day.records.length} runs in ${(day.wallMs / 1000).toFixed(0)} s (evening ${day.eveningMs} ms, settled: ${day.settled})`,
        `one service: ${keys(day.perKey.alone).join("; ")}`,
        `with the replica: ${keys(day.perKey.withReplica).join("; ")}`,
        `healthy campaigns: ${healthy.reduce((n, t) => n + t.idleTicks, 0)} free ticks, ${healthy.reduce((n, t) => n + t.missed, 0)} missed, latest start ${Math.max(...healthy.map((t) => t.worstLateMs))} ms after its tick; overlapping runs: ${day.overlapping.length}`,
      ].join("\n"),
    );
    // What a failure needs to be understood: the runs of the campaigns concerned.
    for (const t of healthy.filter((t) => t.missed > 0 || (day.unsynced[t.campaign] ?? 0) > 0))
      console.log(t.campaign, JSON.stringify(t.missedAt), `\n${trail(day, t.campaign).join("\n")}`);
    expect(day.exitCodes).toEqual([0, 0]);
    // One service per key: its campaigns wait at one gate, so the bucket never refuses them.
    for (const k of day.perKey.alone) {
      // More calls than the bucket holds (key D has one working campaign fewer): the gate had to pace them.
      if (k.key !== "D") expect(k.calls, `key ${k.key} was busy`).toBeGreaterThan(120);
      // At most one, though none has been seen since the gate stopped taking a stale count upward
      // (src/api/rate-gate.ts): a single 429 at the bucket's bound is retried and loses nothing. Two or
      // more would be a gate that runs ahead of the bucket, as a burst after a stale count was.
      expect(k.rateLimited, `429s on key ${k.key}`).toBeLessThanOrEqual(1);
      expect(k.worstExcess, `key ${k.key} over the bucket`).toBeLessThanOrEqual(1);
    }
    expect(day.overlapping).toEqual([]);
    for (const t of healthy) {
      expect(t.missed, `${t.campaign} missed a tick`).toBe(0);
    }
    for (const c of [...HEALTHY, ...FAILING_SHEET]) {
      expect(day.unsynced[c], `${c}: rows not synced at the end`).toBe(0);
      expect(day.failedRows[c], `${c}: rows in error`).toBe(0);
    }
    const refused = day.records.filter((r) => r.campaign === REFUSED);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.status === "failed" && r.exitCode === 3)).toBe(true);
  }, 90_000);
});
