/**
 * What `tokportal-sync quickstart` (`npm start`) does: the real sync, on the sandbox, in a working folder.
 *
 *   prepare the folder → plan (printed) → apply it → move the sandbox clock until the managers have posted
 *   the videos → sync again (statuses, platform URLs, analytics into the CSVs) → where to look.
 *
 * A rerun reads the sheet afresh: with nothing edited there is nothing to do, and it says so.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import writeFileAtomic from "write-file-atomic";
import { ConfigError } from "../config/errors.ts";
import { type LoadedConfig, loadConfig } from "../config/load.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { EXTRA_FILES } from "../sources/extra-tabs.ts";
import type { Plan, RunReportOf } from "../sync/types.ts";
import { plural } from "../words.ts";
import { errorText, runOptionsOf } from "./command.ts";
import { type CommandIO, write } from "./io.ts";
import { exitCodeForError, exitCodeForReport } from "./outcome.ts";
import { formatSummary, redact } from "./output.ts";
import { formatPlan } from "./plan-table.ts";
import { goLiveTime } from "./quickstart-golive.ts";
import { formatWhereToLook, shownPath } from "./quickstart-report.ts";
import {
  DEFAULT_WORKING_DIR,
  PACKAGE_ROOT,
  prepareWorkingFolder,
  QUICKSTART_CLOCK,
} from "./quickstart-setup.ts";
import { withRunLock } from "./run-lock.ts";
import { csvTargets, openRuntime, type Runtime, sandboxDirOf } from "./runtime.ts";

export interface QuickstartFlags {
  /** The working folder (default: `.sandbox` at the repository root). */
  dir?: string;
}

/**
 * The environment the config is read with: never TOKPORTAL_BASE_URL or TOKPORTAL_API_KEY, which point a
 * real deployment at TokPortal. The quick start must not spend real credits because of a shell's exports.
 */
function sandboxEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { TOKPORTAL_BASE_URL: _url, TOKPORTAL_API_KEY: _key, ...rest } = env;
  return rest;
}

function assertSandbox(loaded: LoadedConfig, shownConfig: string): void {
  if (loaded.baseUrl === "sandbox") return;
  throw new ConfigError(
    `${shownConfig}: tokportal.base_url: the quick start runs only on the sandbox, so it must be "sandbox"; to sync with TokPortal itself use \`tokportal-sync sync -c ${shownConfig}\`.`,
  );
}

/** A file the run keeps beside the videos CSV, when it exists. */
function besideVideos(videosCsv: string, name: string): string | null {
  const file = path.join(path.dirname(videosCsv), name);
  return existsSync(file) ? file : null;
}

function readCsv(file: string): Record<string, string>[] {
  return Papa.parse<Record<string, string>>(readFileSync(file, "utf8").replace(/^\uFEFF/, ""), {
    header: true,
    skipEmptyLines: true,
  }).data;
}

interface Context {
  io: CommandIO;
  cwd: string;
  dir: string;
  configFile: string;
  loaded: LoadedConfig;
  runtime: Runtime;
  out: (text: string) => Promise<void>;
}

/** Runs the quick start and returns its exit code; prints everything itself, throws nothing. */
export async function runQuickstart(flags: QuickstartFlags, io: CommandIO): Promise<ExitCode> {
  const cwd = process.cwd();
  const dir = path.resolve(flags.dir ?? DEFAULT_WORKING_DIR);
  const shown = (file: string) => shownPath(cwd, file);
  const out = (text: string) => write(io.stdout, text);
  // The key in use, once known, to keep it out of the output (the sandbox's public one, unless configured).
  let apiKey: string | null = null;
  try {
    const folder = await prepareWorkingFolder(dir);
    await out(
      folder.created.length > 0
        ? `Working folder ${shown(dir)}: copied the example campaign and wrote a config (${folder.created.map(shown).join(", ")}).\n`
        : `Working folder ${shown(dir)}: using the campaign and config already there, as they are.\n`,
    );
    // The key is never needed: a config that is not on the sandbox is refused just below, with a reason.
    const loaded = loadConfig(folder.configFile, sandboxEnv(io.env), { requireApiKey: false });
    assertSandbox(loaded, shown(folder.configFile));
    return await withRunLock(loaded, async () => {
      const runtime = await openRuntime(loaded, { sandboxClock: QUICKSTART_CLOCK });
      apiKey = runtime.apiKey;
      try {
        return await steps({ io, cwd, dir, configFile: folder.configFile, loaded, runtime, out });
      } finally {
        // Inside the lock: the next run must find the sandbox's state saved.
        await runtime.close().catch(() => undefined);
      }
    });
  } catch (err) {
    const text = errorText(err, io.env);
    // Unforeseen (not a config, lock or TokPortal refusal): a fresh working folder is the way out.
    const again = exitCodeForError(err) === EXIT.rowsFailed ? `To start again: rm -rf ${shown(dir)}\n` : "";
    await write(io.stderr, redact(text + again, apiKey));
    return exitCodeForError(err);
  }
}

async function steps(ctx: Context): Promise<ExitCode> {
  const { io, loaded, runtime, out } = ctx;
  const sandbox = runtime.sandbox;
  if (!sandbox) throw new Error("the sandbox did not start");
  await out(
    `Sandbox TokPortal started in-process (simulated: no real accounts, no real credits); its clock reads ${sandbox.clock.iso()}.\n\n`,
  );
  const { runSync, RunRefusedError } = await import("../sync/run.ts");
  const sync = <M extends "plan" | "apply">(mode: M, savedPlan?: Plan): Promise<RunReportOf<M>> =>
    runSync({
      ...runOptionsOf(loaded, runtime),
      maxCredits: loaded.config.max_credits,
      prune: false,
      mode,
      // `--yes`: the quick start spends sandbox credits only, within the config's max_credits.
      confirm: async () => true,
      // The sandbox's time, not the machine's: synced_at then agrees with the statuses beside it, and two
      // fresh quick starts write the same sheet.
      now: () => new Date(sandbox.clock.now()),
      ...(savedPlan ? { savedPlan } : {}),
    });

  // 1. The plan, as `tokportal-sync plan` shows it.
  const planned = await sync("plan");
  await out(`1. The plan for ${planned.source}:\n${formatPlan(planned.plan, { color: io.color })}\n`);

  // 2. Apply what was shown; a fresh read must agree with it, else the fresh plan runs.
  let applied: RunReportOf<"apply">;
  try {
    applied = await sync("apply", planned.plan);
  } catch (err) {
    if (!(err instanceof RunRefusedError && err.reason === "stale-plan")) throw err;
    await out("The sandbox changed since the plan was made; applying a fresh plan instead.\n");
    applied = await sync("apply");
  }
  const nothingApplied = planned.plan.ops.length === 0 && (applied.write?.cellsWritten ?? 0) === 0;

  // 3. Let the managers post what was released to them, then read the results back into the sheet.
  const before = sandbox.clock.now();
  const slots = Object.values(sandbox.state().bundles).flatMap((b) => b.videos);
  const target = goLiveTime(slots, sandbox.rules().managers, before);
  let final = applied;
  if (nothingApplied && target === null) {
    const calls = Object.values(applied.calls).reduce((a, b) => a + b, 0);
    await out(
      `2. Nothing to do: TokPortal already matches the sheet (read with ${plural(calls, "TokPortal call")}; 0 credits spent, 0 cells written).\n\n`,
    );
  } else {
    const what =
      planned.plan.ops.length === 0
        ? "Nothing to change on TokPortal; brought the sheet's result columns up to date"
        : "Applied it";
    await out(`2. ${what}:\n${formatSummary(applied, { color: io.color })}\n`);
    if (target === null) {
      await out("No video is waiting for a manager to post it, so the sandbox clock stays where it is.\n\n");
    } else {
      const to = await sandbox.advance((target - before) / 1000);
      await out(
        `3. Moved the sandbox clock from ${new Date(before).toISOString()} to ${to}, past the last target date: the managers have posted the videos released to them.\n\n`,
      );
      final = await sync("apply");
      await out(
        `4. Synced again, to write statuses, platform URLs and analytics into the sheet:\n${formatSummary(final, { color: io.color })}\n`,
      );
    }
  }

  const files = csvTargets(loaded);
  const videosCsv = files.at(-1);
  if (videosCsv) {
    await out(
      formatWhereToLook({
        cwd: ctx.cwd,
        dir: ctx.dir,
        defaultDir: ctx.dir === path.resolve(DEFAULT_WORKING_DIR),
        root: PACKAGE_ROOT,
        configFile: ctx.configFile,
        bundlesCsv: files.length > 1 ? (files[0] ?? null) : null,
        videosCsv,
        runLog: besideVideos(videosCsv, EXTRA_FILES.sync_runs),
        history: besideVideos(videosCsv, EXTRA_FILES.analytics_history),
        sandboxDir: sandboxDirOf(loaded),
        sandboxNow: sandbox.clock.iso(),
        videoRows: readCsv(videosCsv),
        color: io.color,
      }),
    );
  }
  // The campaign as one HTML page (the status page's view), as of the sandbox's clock.
  const { campaignReport } = await import("./report-run.ts");
  const reportFile = path.join(ctx.dir, "report.html");
  await writeFileAtomic(reportFile, await campaignReport(loaded, sandbox.clock.now()));
  await out(
    `\nReport: ${shownPath(ctx.cwd, reportFile)}  (the campaign at a glance; open it in a browser)\n`,
  );
  return exitCodeForReport(final);
}
