/**
 * The quick start's closing words (pure): where the results are, a few rows as the sheet now shows them,
 * and how to rerun, try an edit and reset.
 */
import path from "node:path";
import pc from "picocolors";

export interface WhereToLook {
  cwd: string;
  /** The working folder. */
  dir: string;
  /** True when it is the default folder (`npm start` reruns it). */
  defaultDir: boolean;
  /** The package root (where `npm start` runs). */
  root: string;
  configFile: string;
  bundlesCsv: string | null;
  videosCsv: string;
  sandboxDir: string;
  /** The run log and analytics history files, when the run kept them. */
  runLog?: string | null;
  history?: string | null;
  /** The sandbox's simulated time now (ISO). */
  sandboxNow: string;
  /** The videos table after the run (header → cell). */
  videoRows: Record<string, string>[];
  color: boolean;
}

/** Rows shown; the CSV has the rest. */
export const SHOWN_ROWS = 5;

const COLUMNS = ["video_ref", "sync_status", "video_status", "platform_url", "views"] as const;

/** A path as the user would type it: relative to where they are when inside it, else absolute. */
export function shownPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** Quotes a path for a POSIX shell when it needs it. */
function shellArg(p: string): string {
  return /^[\w./@%+=:,-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs the quick start again from where the user is. */
export function rerunCommand(w: Pick<WhereToLook, "cwd" | "dir" | "defaultDir" | "root">): string {
  const inRoot = path.resolve(w.cwd) === path.resolve(w.root);
  if (w.defaultDir) return inRoot ? "npm start" : `npm start --prefix ${shellArg(shownPath(w.cwd, w.root))}`;
  const dir = shellArg(shownPath(w.cwd, w.dir));
  const insideRoot = !path.relative(w.root, w.cwd).startsWith("..");
  return insideRoot
    ? `npx tokportal-sync quickstart --dir ${dir}`
    : `node ${shellArg(path.join(w.root, "bin", "tokportal-sync.js"))} quickstart --dir ${dir}`;
}

/** Rows with a live post first (they show the most), then the others, in sheet order. */
function pickRows(rows: Record<string, string>[]): Record<string, string>[] {
  const live = rows.filter((r) => r.platform_url);
  return [...live, ...rows.filter((r) => !r.platform_url)].slice(0, SHOWN_ROWS);
}

function table(rows: Record<string, string>[], columns: readonly string[]): string[] {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    `  ${cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()}`;
  return [line([...columns]), ...rows.map((r) => line(columns.map((c) => r[c] || "")))];
}

/** An edit that shows the sync at work: releasing a draft when there is one (it then goes live), else any. */
function editIdea(rows: Record<string, string>[]): string {
  const draft = rows.find((r) => /^(no|false|0|n)$/i.test(r.publish ?? "") && r.video_ref);
  return draft ? `set publish to yes on ${draft.video_ref} (a draft)` : "change a row's description";
}

/**
 * The review loop and stories in one line: each verdict written in the sheet with what TokPortal's side
 * now shows (`review_status`, else the video's status), the videos in review that wait for one, and each
 * story's status. Null when the sheet has none of them.
 */
export function reviewLine(rows: Record<string, string>[]): string | null {
  const parts: string[] = [];
  const stateOf = (r: Record<string, string>) => r.review_status || r.video_status || "not synced";
  for (const r of rows) {
    if (r.review === "approve") parts.push(`${r.video_ref} approve → ${stateOf(r)}`);
    else if (r.review === "changes") parts.push(`${r.video_ref} changes + note → ${stateOf(r)}`);
  }
  const waiting = rows.filter((r) => r.review_status === "in_review" && !r.review).map((r) => r.video_ref);
  if (waiting.length > 0) parts.push(`${waiting.join(", ")} in review (set review to approve or changes)`);
  for (const r of rows)
    if (r.video_type === "story") parts.push(`story ${r.video_ref} → ${r.video_status || "not synced"}`);
  return parts.length === 0 ? null : `review and stories: ${parts.join("; ")}`;
}

export function formatWhereToLook(w: WhereToLook): string {
  const c = w.color ? pc : { bold: String, dim: String };
  const p = (file: string) => shownPath(w.cwd, file);
  const dir = p(w.dir);
  const rerun = rerunCommand(w);
  const places: [string, string][] = [
    [p(w.videosCsv), "one row per video: video_id, video_status, platform_url, views, sync_status"],
  ];
  if (w.bundlesCsv)
    places.push([p(w.bundlesCsv), "one row per account order: bundle_id, bundle_status, credits_charged"]);
  if (w.runLog)
    places.push([p(w.runLog), "one row per run that changed something: rows by status, credits, calls"]);
  if (w.history) places.push([p(w.history), "views per video per day, followers per account per day"]);
  places.push(
    [p(w.configFile), "the config: the sandbox, the CSVs above, ref_prefix, max_credits"],
    [p(w.sandboxDir), `the sandbox's saved world; its clock reads ${w.sandboxNow} (simulated)`],
  );
  const width = Math.max(...places.map(([where]) => where.length));
  const lines: string[] = [
    c.bold("Where to look"),
    ...places.map(([where, what]) => `  ${where.padEnd(width)}  ${what}`),
  ];
  const columns = COLUMNS.filter((col) => col === "video_ref" || w.videoRows.some((r) => col in r));
  const shown = pickRows(w.videoRows);
  if (shown.length > 0) {
    lines.push("", c.bold(`A few rows of ${p(w.videosCsv)}:`), ...table(shown, columns));
    if (w.videoRows.length > shown.length) lines.push(c.dim(`  … ${w.videoRows.length - shown.length} more`));
  }
  const reviews = reviewLine(w.videoRows);
  if (reviews) lines.push(`  ${reviews}`);
  lines.push(
    "",
    c.bold("Next"),
    `  rerun:        ${rerun}   (reads the sheet again; nothing to do until you edit it)`,
    `  try an edit:  ${editIdea(w.videoRows)} in ${p(w.videosCsv)}, save, then ${rerun}`,
    `  reset:        rm -rf ${shellArg(dir)}   (the next run starts a fresh sandbox from the example)`,
    "  more:         docs/quick-start.md",
  );
  return `${lines.join("\n")}\n`;
}
