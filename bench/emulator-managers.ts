/**
 * What the simulated managers cost. The core runs `runManagers` before every API request, so its cost with
 * nothing due is added to every request; the lifecycle run measures how fast a big clock jump is applied.
 *
 *   npx tsx bench/emulator-managers.ts [bundles=2000] [videosPerBundle=10]
 *
 * Writes the `emulator-managers` section of BENCHMARKS.md.
 */
import type { EmulatorClock, EmulatorRules, EventSink } from "../src/emulator/context.ts";
import type { Bundle, EmulatorState } from "../src/emulator/model.ts";
import { newAccount, newSlot } from "../src/emulator/ops/domain.ts";
import { runManagers } from "../src/emulator/ops/managers.ts";
import { emptyState } from "../src/emulator/state.ts";
import { machineLines, report } from "./report.ts";

const BUNDLES = Number(process.argv[2] ?? 2000);
const VIDEOS = Number(process.argv[3] ?? 10);
const START = Date.parse("2026-09-01T12:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const rules: EmulatorRules = {
  createCapacity: null,
  publishCapacity: null,
  defaultPlanTier: "marketer",
  managers: { acceptAfterSeconds: 600, postAtHourUtc: 17, autoFinalizeAfterHours: 72 },
};

function world(): EmulatorState {
  const state = emptyState();
  const iso = new Date(START).toISOString();
  for (let b = 0; b < BUNDLES; b++) {
    const id = `b-${b}`;
    const account = newAccount(null);
    Object.assign(account, {
      status: "published",
      username: `user${b}`,
      visible_name: "U",
      published_at: iso,
    });
    const bundle: Bundle = {
      id,
      workspaceId: "ws",
      title: null,
      bundle_type: "account_and_videos",
      platform: b % 2 === 0 ? "tiktok" : "instagram",
      country: "USA",
      status: "published",
      external_ref: `ref-${b}`,
      from_bulk: false,
      videos_quantity: VIDEOS,
      edits_quantity: 0,
      auto_finalize_videos: b % 3 !== 0,
      wants_niche_warming: false,
      niche_warming_instructions: null,
      account_id: null,
      saved_account_id: null,
      account,
      videos: [],
      published_at: iso,
      accepted_at: null,
      completed_at: null,
      created_at: iso,
      updated_at: iso,
    };
    for (let p = 1; p <= VIDEOS; p++) {
      const slot = newSlot(`v-${b}-${p}`, id, p, iso);
      const date = new Date(START + (3 + Math.floor((p - 1) / 3) + (b % 5)) * DAY).toISOString().slice(0, 10);
      Object.assign(slot, {
        status: "published",
        video_type: "video",
        target_publish_date: date,
        published_at: iso,
      });
      bundle.videos.push(slot);
    }
    state.bundles[id] = bundle;
  }
  return state;
}

function run(state: EmulatorState, at: number, sink: EventSink): number {
  const clock: EmulatorClock = { now: () => at, iso: () => new Date(at).toISOString() };
  let n = 0;
  const started = performance.now();
  runManagers({ state, clock, rules, events: sink, newId: () => `s-${n++}`, random: () => 0.5 });
  return performance.now() - started;
}

let events = 0;
const sink: EventSink = {
  emit() {
    events++;
  },
};

// 1. Nothing due: every bundle published, acceptance still 10 minutes away. This is the per-request tax.
const idle = world();
run(idle, START, sink);
const idleTimes: number[] = [];
for (let i = 0; i < 200; i++) idleTimes.push(run(idle, START + 1000, sink));
idleTimes.sort((a, b) => a - b);
const idleP50 = idleTimes[100] ?? 0;

// 2. Accepted and waiting for post dates: the steady state of a live campaign.
const waiting = world();
run(waiting, START + HOUR, sink);
const waitTimes: number[] = [];
for (let i = 0; i < 200; i++) waitTimes.push(run(waiting, START + HOUR + 1000, sink));
waitTimes.sort((a, b) => a - b);
const waitP50 = waitTimes[100] ?? 0;

// 3. Lifecycle: one jump of 30 days applies every transition at once.
const jump = world();
events = 0;
const jumpMs = run(jump, START + 30 * DAY, sink);
const jumpEvents = events;
const completed = Object.values(jump.bundles).filter((b) => b.status === "completed").length;

report("emulator-managers", [
  "## Emulator managers",
  "",
  `\`npx tsx bench/emulator-managers.ts ${BUNDLES} ${VIDEOS}\`: \`runManagers\` in process on a world of`,
  `${BUNDLES} published account_and_videos bundles with ${VIDEOS} published videos each. The core runs it before`,
  "every API request, so the first two rows are a per-request cost; the last is one 30-day clock jump.",
  "",
  ...machineLines(),
  "",
  "| scenario | result |",
  "|---|---:|",
  `| nothing due (all published), p50 per call | ${idleP50.toFixed(2)} ms |`,
  `| accepted, waiting for post dates, p50 per call | ${waitP50.toFixed(2)} ms |`,
  `| 30-day jump: whole lifecycle of every bundle | ${jumpMs.toFixed(0)} ms, ${jumpEvents} events, ${completed}/${BUNDLES} completed |`,
]);
