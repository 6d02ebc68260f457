/**
 * What the simulated managers cost. The core runs `runManagers` before every API request, so its cost with
 * nothing due, or with the one bundle a request touched, is added to every request; the lifecycle run
 * measures how fast a big clock jump is applied. Each size runs in a fresh world.
 *
 *   npx tsx bench/emulator-managers.ts [bundles=2000,20000] [videosPerBundle=10] [--before <checkout>]
 *
 * `--before <dir>`: the same runs against another checkout's managers (side-by-side columns).
 * Writes the `emulator-managers` section of BENCHMARKS.md.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { EmulatorClock, EmulatorRules, EventSink, ManagerEnv } from "../src/emulator/context.ts";
import type { Bundle, EmulatorState } from "../src/emulator/model.ts";
import { newAccount, newSlot } from "../src/emulator/ops/domain.ts";
import { markBundleTouched } from "../src/emulator/ops/due-index.ts";
import { runManagers } from "../src/emulator/ops/managers.ts";
import { emptyState } from "../src/emulator/state.ts";
import { beforeAndPositionals } from "./args.ts";
import { machineLines, report } from "./report.ts";

const { before: BEFORE, positionals: plain } = beforeAndPositionals(process.argv.slice(2));
const SIZES = (plain[0] ?? "2000,20000").split(",").map(Number);
const VIDEOS = Number(plain[1] ?? 10);
const START = Date.parse("2026-09-01T12:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const rules: EmulatorRules = {
  createCapacity: null,
  publishCapacity: null,
  defaultPlanTier: "marketer",
  managers: { acceptAfterSeconds: 600, postAtHourUtc: 17, autoFinalizeAfterHours: 72 },
};

function world(BUNDLES: number): EmulatorState {
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

type Managers = (env: ManagerEnv) => void;

function run(managers: Managers, state: EmulatorState, at: number, sink: EventSink): number {
  const clock: EmulatorClock = { now: () => at, iso: () => new Date(at).toISOString() };
  let n = 0;
  const started = performance.now();
  managers({ state, clock, rules, events: sink, newId: () => `s-${n++}`, random: () => 0.5 });
  return performance.now() - started;
}

let events = 0;
const sink: EventSink = {
  emit() {
    events++;
  },
};

const p50 = (times: number[]) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;

interface Figures {
  idle: number;
  waiting: number;
  touched: number;
  jumpMs: number;
  jumpEvents: number;
  completed: number;
}

function measure(
  managers: Managers,
  bundles: number,
  touch: (s: EmulatorState, id: string) => void,
): Figures {
  // 1. Nothing due: every bundle published, acceptance still 10 minutes away. This is the per-request tax.
  const idle = world(bundles);
  run(managers, idle, START, sink);
  const idleTimes: number[] = [];
  for (let i = 0; i < 200; i++) idleTimes.push(run(managers, idle, START + 1000, sink));

  // 2. Accepted and waiting for post dates: the steady state of a live campaign.
  const waiting = world(bundles);
  run(managers, waiting, START + HOUR, sink);
  const waitTimes: number[] = [];
  for (let i = 0; i < 200; i++) waitTimes.push(run(managers, waiting, START + HOUR + 1000, sink));

  // 3. As 2, after a request that touched one bundle (a handler's ctx.bundle(id)): what a write costs.
  const touchTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    touch(waiting, `b-${(i * 7919) % bundles}`);
    touchTimes.push(run(managers, waiting, START + HOUR + 2000, sink));
  }

  // 4. Lifecycle: one jump of 30 days applies every transition at once.
  const jump = world(bundles);
  events = 0;
  const jumpMs = run(managers, jump, START + 30 * DAY, sink);
  const completed = Object.values(jump.bundles).filter((b) => b.status === "completed").length;
  return {
    idle: p50(idleTimes),
    waiting: p50(waitTimes),
    touched: p50(touchTimes),
    jumpMs,
    jumpEvents: events,
    completed,
  };
}

const before: Managers | null = BEFORE
  ? (await import(pathToFileURL(path.join(BEFORE, "src/emulator/ops/managers.ts")).href)).runManagers
  : null;

const rows: string[] = [];
for (const bundles of SIZES) {
  const now = measure(runManagers, bundles, markBundleTouched);
  const then = before ? measure(before, bundles, () => undefined) : null;
  const ms = (f: (x: Figures) => number) =>
    `${then ? `${f(then).toFixed(3)} ms | ` : ""}${f(now).toFixed(3)} ms`;
  const jump = (x: Figures) => `${x.jumpMs.toFixed(0)} ms, ${x.jumpEvents} events, ${x.completed} completed`;
  const n = bundles.toLocaleString("en-US");
  rows.push(
    `| ${n} | nothing due (all published), p50 per call | ${ms((x) => x.idle)} |`,
    `| ${n} | accepted, waiting for post dates, p50 per call | ${ms((x) => x.waiting)} |`,
    `| ${n} | as above, after a request touched one bundle, p50 per call | ${ms((x) => x.touched)} |`,
    `| ${n} | 30-day jump: whole lifecycle of every bundle | ${then ? `${jump(then)} | ` : ""}${jump(now)} |`,
  );
}

report("emulator-managers", [
  "## Emulator managers",
  "",
  `\`npx tsx bench/emulator-managers.ts ${SIZES.join(",")} ${VIDEOS}${BEFORE ? " --before <checkout of the code before>" : ""}\`: \`runManagers\` in process on worlds of`,
  `${SIZES.map((n) => n.toLocaleString("en-US")).join(" and ")} published account_and_videos bundles with ${VIDEOS} published videos each. The core runs it before`,
  "every API request, so the first three rows of a size are a per-request cost; the last is one 30-day clock jump.",
  "The managers keep each bundle's next due time in an index (src/emulator/ops/due-index.ts): a run looks at the",
  `bundles that changed or fell due only.${BEFORE ? " The before column runs the managers as they were, scanning every bundle on every call." : ""}`,
  "",
  ...machineLines(),
  "",
  BEFORE ? "| bundles | scenario | before (scan) | now (index) |" : "| bundles | scenario | now (index) |",
  BEFORE ? "|---:|---|---:|---:|" : "|---:|---|---:|",
  ...rows,
]);
