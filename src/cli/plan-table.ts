/**
 * A Plan as people read it (`plan`, `sync` before it asks, the quick start): one line per operation with
 * a symbol (+ create, ~ change, → publish, - unschedule), the bundle, what it does, the sheet rows it
 * serves and the credits it costs; one `!` line per row that will not be synced; then the totals. Pure:
 * the same plan gives the same text.
 */

import type { ServerCheck } from "../sync/server-check.ts";
import type { Plan, PlannedRow, PlanOp, RowRef } from "../sync/types.ts";
import { plural } from "../words.ts";
import { type Palette, palette } from "./color.ts";

type Colors = Pick<Palette, "green" | "yellow" | "red" | "cyan" | "bold" | "dim">;

export type OpSymbol = "+" | "~" | "→" | "-";

export function opSymbol(op: PlanOp): OpSymbol {
  switch (op.kind) {
    case "createBundle":
      return "+";
    case "publishBundle":
    case "publishVideos":
      return "→";
    case "unscheduleVideo":
    case "unpublishBundle":
      return "-";
    default:
      return "~";
  }
}

/** What an op does, in a few words. */
export function opAction(op: PlanOp): string {
  switch (op.kind) {
    case "createBundle":
      return "create bundle";
    case "addVideoSlots":
      return `add ${plural(op.quantity, "video slot")}`;
    case "addEditSlots":
      return `add ${plural(op.quantity, "edit slot")}`;
    case "patchBundle":
      return "update bundle";
    case "configureAccount":
      return "configure account";
    case "configureVideos":
      return `configure ${plural(op.items.length, "video")}`;
    case "patchVideo":
      return `update video #${op.position}`;
    case "publishBundle":
      return "publish bundle";
    case "publishVideos":
      return op.all
        ? "publish all videos"
        : `publish ${op.positions.length === 1 ? "video" : "videos"} ${op.positions.map((p) => `#${p}`).join(", ")}`;
    case "unscheduleVideo":
      return op.reasonCode === "unschedule_publish_no"
        ? `unschedule video #${op.position} (destructive: clears the slot)`
        : `unschedule video #${op.position}`;
    case "finalizeVideo":
      return `approve video #${op.position}`;
    case "requestVideoCorrections":
      return `ask corrections on video #${op.position}`;
    case "finalizeAccount":
      return "approve account";
    case "requestAccountCorrections":
      return "ask corrections on account";
    case "fixDownload":
      return `send new media for video #${op.position}`;
    case "unpublishBundle":
      return "unpublish bundle (destructive: no refund)";
  }
}

/** `2, 4-6, 9`: row numbers, runs of consecutive numbers shortened. */
export function numberRanges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(", "));
    i = j + 1;
  }
  return parts.join(", ");
}

/** `bundles 2; videos 3-5`: where the rows are, table by table. */
export function rowsLabel(refs: readonly RowRef[]): string {
  const byTable = new Map<string, number[]>();
  for (const r of refs) byTable.set(r.table, [...(byTable.get(r.table) ?? []), ...r.rowNumbers]);
  const parts: string[] = [];
  for (const table of ["bundles", "videos"]) {
    const numbers = byTable.get(table);
    if (numbers?.length) parts.push(`${table} ${numberRanges(numbers)}`);
  }
  return parts.join("; ");
}

function rowLabel(r: PlannedRow): string {
  return r.row.rowNumbers.length > 0 ? `${r.row.table} ${numberRanges(r.row.rowNumbers)}` : r.row.table;
}

/** The rows an operation serves, from the plan's own rows (a row id can appear twice: duplicate rows). */
function rowsByOp(plan: Plan): Map<string, RowRef[]> {
  const wanted = new Set<string>();
  for (const op of plan.ops) for (const id of op.rows) wanted.add(id);
  // Only the rows some op serves: a plan mostly waiting for credits has few.
  const byId = new Map<string, RowRef[]>();
  for (const r of plan.rows) {
    if (!wanted.has(r.row.id)) continue;
    const same = byId.get(r.row.id);
    if (same) same.push(r.row);
    else byId.set(r.row.id, [r.row]);
  }
  const out = new Map<string, RowRef[]>();
  for (const op of plan.ops)
    out.set(
      op.id,
      op.rows.flatMap((id) => byId.get(id) ?? []),
    );
  return out;
}

/** A row the plan will not bring to `synced`: locked, error, pending, or skipped for a reason it states. */
export function isNotSynced(r: PlannedRow): boolean {
  return r.outcome !== "synced" && (r.outcome !== "skipped" || r.message !== "");
}

function credits(n: number): string {
  return n === 0 ? "" : plural(n, "credit");
}

export interface PlanTableOptions {
  color: boolean;
}

export function formatPlan(plan: Plan, options: PlanTableOptions): string {
  return `${[...planLines(plan, options)].join("\n")}\n`;
}

/**
 * The lines of `formatPlan`, one at a time, for a caller that prints them a chunk at a time: a plan of
 * 100,000 rows waiting for credits has as many lines, which need never be held together.
 */
export function* planLines(plan: Plan, options: PlanTableOptions): Generator<string> {
  const c: Colors = palette(options.color);
  const notSynced = plan.rows.filter(isNotSynced);
  if (plan.ops.length > 0) {
    yield* opLines(plan, c);
    if (notSynced.length > 0) yield "";
  } else if (notSynced.length > 0) {
    yield* [c.dim("  No TokPortal operation to make; rows that will not be synced:"), ""];
  } else yield c.green("  Nothing to do: every row is in step with TokPortal.");

  const w = notSynced.reduce((m, r) => Math.max(m, rowLabel(r).length), 0);
  for (const r of notSynced) {
    const mark = r.outcome === "error" || r.outcome === "locked" ? c.red : c.yellow;
    yield `  ${mark("!")} ${rowLabel(r).padEnd(w)}  ${mark(r.outcome.padEnd(7))}  ${r.message || "(no message)"}`;
  }

  yield "";
  yield* totalLines(plan, c);
}

/** One line per op: its symbol, bundle, action, the rows it serves, its price and why. */
function* opLines(plan: Plan, c: Colors): Generator<string> {
  const served = rowsByOp(plan);
  const cells = plan.ops.map((op) => ({
    op,
    symbol: opSymbol(op),
    bundle: op.bundleRef,
    action: opAction(op),
    rows: rowsLabel(served.get(op.id) ?? []),
    cost: credits(op.cost),
  }));
  // A loop, not Math.max(...): hundreds of thousands of arguments overflow the stack.
  const width = (k: "bundle" | "action" | "rows" | "cost") =>
    cells.reduce((m, x) => Math.max(m, x[k].length), 0);
  const w = { bundle: width("bundle"), action: width("action"), rows: width("rows"), cost: width("cost") };
  const paint = { "+": c.green, "~": c.yellow, "→": c.cyan, "-": c.red } as const;
  for (const x of cells) {
    const cols = [
      paint[x.symbol](x.symbol),
      x.bundle.padEnd(w.bundle),
      x.action.padEnd(w.action),
      x.rows.padEnd(w.rows),
      ...(w.cost > 0 ? [x.cost.padStart(w.cost)] : []),
      c.dim(x.op.reason),
    ];
    yield `  ${cols.join("  ")}`.trimEnd();
  }
}

function totalLines(plan: Plan, c: Colors): string[] {
  const t = plan.totals;
  const out: string[] = [];
  const kinds = { "+": 0, "~": 0, "→": 0, "-": 0 };
  for (const op of plan.ops) kinds[opSymbol(op)] += 1;
  const byKind = [
    kinds["+"] && `${kinds["+"]} to create`,
    kinds["~"] && `${kinds["~"]} to change`,
    kinds["→"] && `${kinds["→"]} to publish`,
    kinds["-"] && `${kinds["-"]} to unschedule`,
  ].filter(Boolean);
  out.push(
    c.bold(
      `Plan: ${plural(plan.ops.length, "operation")}${byKind.length ? ` (${byKind.join(", ")})` : ""}, ${plural(t.cost, "credit")}`,
    ),
  );
  const rowCounts = (["synced", "pending", "locked", "error", "skipped"] as const)
    .filter((s) => t.rows[s] > 0)
    .map((s) => `${t.rows[s]} ${s}`);
  out.push(
    `  rows:         ${plan.rows.length}${rowCounts.length ? ` (once applied: ${rowCounts.join(", ")})` : ""}`,
  );
  if (t.balance === null) {
    out.push("  balance:      not read (nothing to pay for)");
  } else {
    out.push(`  balance:      ${t.balance} now, ${t.balance - t.cost} after`);
  }
  out.push(`  max_credits:  ${t.maxCredits === null ? "none (no budget)" : t.maxCredits}`);
  if (t.deferred.bundles.length > 0) {
    out.push(
      c.yellow(
        `  deferred:     ${plural(t.deferred.bundles.length, "bundle")} waiting for ${t.deferred.cost} more credits: ${t.deferred.bundles.join(", ")}`,
      ),
    );
  }
  const o = plan.orphans;
  if (o.bundles.length + o.videos.length > 0) {
    const what = [
      o.bundles.length && plural(o.bundles.length, "bundle"),
      o.videos.length && plural(o.videos.length, "video"),
    ]
      .filter(Boolean)
      .join(" and ");
    const names = [...o.bundles, ...o.videos];
    const shown = names.length > 10 ? `${names.slice(0, 10).join(", ")}, …` : names.join(", ");
    const prune = plan.prune
      ? "their videos are unscheduled (--prune)"
      : "left alone; --prune unschedules the videos";
    out.push(c.dim(`  orphans:      ${what} on TokPortal no longer in the sheet (${prune}): ${shown}`));
  }
  return out;
}

/** `plan --server-check`: TokPortal's answer to each op's dry run, in plan order. */
export function formatServerCheck(check: ServerCheck, plan: Plan, options: PlanTableOptions): string {
  const c: Colors = palette(options.color);
  const ops = new Map(plan.ops.map((op) => [op.id, op]));
  const rows = new Map<string, PlannedRow>();
  for (const r of plan.rows) if (!rows.has(r.row.id)) rows.set(r.row.id, r);
  const mark = {
    accepted: c.green("✓"),
    refused: c.red("✗"),
    uncertain: c.yellow("?"),
    local: c.dim("·"),
  } as const;
  const actions = check.ops.map((o) => {
    const op = ops.get(o.op);
    return op ? opAction(op) : o.kind;
  });
  const wb = Math.max(0, ...check.ops.map((o) => o.bundleRef.length));
  const wa = Math.max(0, ...actions.map((a) => a.length));
  const lines = [
    c.bold("Server check (dry runs: TokPortal validated and priced each write; nothing was changed)"),
  ];
  check.ops.forEach((o, i) => {
    let text = o.message;
    if (o.status === "accepted" && o.wouldCharge)
      text += ` (would charge ${plural(o.wouldCharge, "credit")})`;
    if (o.status === "uncertain") {
      text += c.dim(" (checked against the bundle as it is now, before this plan's earlier steps for it)");
    }
    lines.push(`  ${mark[o.status]} ${o.bundleRef.padEnd(wb)}  ${(actions[i] ?? "").padEnd(wa)}  ${text}`);
    for (const item of o.items ?? []) {
      if (item.status === "accepted") continue;
      const row = rows.get(item.row);
      const where = row ? rowLabel(row) : item.row;
      lines.push(`      ${mark[item.status]} ${where} (slot ${item.position}): ${item.message}`);
    }
  });
  const n = check.counts;
  const parts = [
    `${n.accepted} accepted`,
    n.refused > 0 ? c.red(`${n.refused} refused`) : "0 refused",
    ...(n.uncertain > 0 ? [c.yellow(`${n.uncertain} uncertain (they depend on earlier steps)`)] : []),
    ...(n.local > 0 ? [`${n.local} checked locally only`] : []),
  ];
  if (check.ops.length === 0) lines.push("  no write to check");
  lines.push(`Server check: ${parts.join(", ")}.`, "");
  return lines.join("\n");
}
