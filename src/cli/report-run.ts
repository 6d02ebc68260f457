/**
 * `tokportal-sync report`: the campaign view of the status page as one self-contained HTML file (styles,
 * script, uPlot and data inline) from the sheet, its run log and its analytics history. Reads only: no
 * TokPortal call, no write to the sheet.
 */
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { ConfigError } from "../config/errors.ts";
import { type LoadedConfig, loadConfig } from "../config/load.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { createSource } from "../sources/index.ts";
import { buildCampaignView } from "../web/model.ts";
import { campaignPage } from "../web/pages.ts";
import { runsFromLog } from "../web/runs.ts";
import { rowLinkOf, sheetOf } from "../web/sheet-data.ts";
import { type CommandIO, write } from "./io.ts";

export interface ReportFlags {
  config: string;
  out?: string;
}

export const DEFAULT_REPORT_FILE = "report.html";

/** The report's HTML for a loaded campaign config, as of `now`. */
export async function campaignReport(loaded: LoadedConfig, now: number = Date.now()): Promise<string> {
  const sheet = await sheetOf(createSource(loaded.source, { baseDir: loaded.baseDir }));
  // The default config name says nothing: its folder names the campaign.
  const base = path.basename(loaded.file).replace(/\.json$/, "");
  const name = base === "tokportal-sync" ? path.basename(path.dirname(loaded.file)) : base;
  const view = buildCampaignView({
    name,
    now,
    runs: runsFromLog(sheet.runLog),
    tables: sheet.tables,
    sheetError: sheet.error,
    history: sheet.history,
    balance: null,
    maxCredits: loaded.config.max_credits,
    nextRunAt: null,
    running: false,
    alerts: [],
    rowLink: rowLinkOf(loaded.source, sheet.tabIds),
  });
  return campaignPage(view, { now, inline: true });
}

export async function runReportCommand(flags: ReportFlags, io: CommandIO): Promise<ExitCode> {
  try {
    const loaded = loadConfig(flags.config, io.env, { requireApiKey: false });
    const out = path.resolve(flags.out ?? DEFAULT_REPORT_FILE);
    await writeFileAtomic(out, await campaignReport(loaded));
    await write(io.stdout, `Report written: ${out}\n`);
    return EXIT.ok;
  } catch (err) {
    const lines = err instanceof ConfigError ? err.problems : [(err as Error).message];
    await write(io.stderr, `${lines.map((l) => `error: ${l}`).join("\n")}\n`);
    return EXIT.usage;
  }
}
