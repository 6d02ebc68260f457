/**
 * Shared by the reliability suites (chaos, crash; others may import it read-only): what TokPortal holds for
 * one workspace, checked against the sheet it was synced from, and a seeded PRNG for drawing trial
 * parameters.
 *
 *   const price = await cleanPlanPrice(emu, files);         // what a clean run of the campaign costs
 *   const bundles = workspaceBundles(emu, workspaceId);     // every bundle of the workspace, from the state
 *   duplicateBundles(bundles);                              // bundles beyond the first per external_ref
 *   remoteMismatches(bundles, files, "t-");                 // sheet rows TokPortal does not match
 *   rowsMissingWriteBack(files, bundles, "t-");             // rows whose results are not in the CSV
 *
 *   const proxy = await startKillProxy(emu.origin);        // SIGKILLs a child at its k-th write
 *
 * Everything is read straight from the emulator's state rather than through the API, so a check cannot
 * be fooled by the very pagination or filtering it is meant to catch.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Bundle } from "../../src/emulator/model.ts";
import { prng } from "../../src/emulator/random.ts";
import { type CampaignFiles, readCsvRows, syncCsv } from "../support/campaign.ts";
import type { TestEmulator } from "../support/emulator.ts";

export { prng };

/** Every bundle the workspace owns, whatever its status or ref. */
export function workspaceBundles(emu: TestEmulator, workspaceId: string): Bundle[] {
  return Object.values(emu.state().bundles).filter((b) => b.workspaceId === workspaceId);
}

/** Bundles beyond the first for each external_ref: 0 when no create ever ran twice. */
export function duplicateBundles(bundles: readonly Bundle[]): number {
  const perRef = new Map<string, number>();
  for (const b of bundles) perRef.set(String(b.external_ref), (perRef.get(String(b.external_ref)) ?? 0) + 1);
  let extra = 0;
  for (const n of perRef.values()) extra += n - 1;
  return extra;
}

/** Credits the workspace has spent since it opened with `opening`. */
export function spentCredits(emu: TestEmulator, workspaceId: string, opening: number): number {
  const ws = emu.state().workspaces[workspaceId];
  if (!ws) throw new Error(`no workspace ${workspaceId}`);
  return opening - ws.credits;
}

/**
 * The plan's price of the campaign on an empty workspace: a plan-mode run (no write anywhere) with a key of
 * its own, so the workspace under test is left untouched.
 */
export async function cleanPlanPrice(
  emu: TestEmulator,
  files: Pick<CampaignFiles, "bundlesPath" | "videosPath">,
  prefix = "t-",
): Promise<number> {
  const { apiKey } = emu.createKey({ credits: 1_000_000 });
  const report = await syncCsv({ url: emu.url, apiKey }, files, { mode: "plan", prefix });
  return report.plan.totals.cost;
}

const bundleRows = (files: Pick<CampaignFiles, "bundlesPath">) => readCsvRows(files.bundlesPath);
const videoRows = (files: Pick<CampaignFiles, "videosPath">) => readCsvRows(files.videosPath);

/**
 * Sheet rows TokPortal does not reflect, as readable strings: each bundle row has exactly one published
 * bundle under its ref, and each video row a published slot carrying its ref, description and date (not
 * the media URL: TokPortal copies the media and shows its own copy's URL). Assumes the campaign's rows all say publish = yes (campaign.ts's default).
 */
export function remoteMismatches(
  bundles: readonly Bundle[],
  files: Pick<CampaignFiles, "bundlesPath" | "videosPath">,
  prefix: string,
): string[] {
  const out: string[] = [];
  const byRef = new Map<string, Bundle[]>();
  for (const b of bundles)
    byRef.set(String(b.external_ref), [...(byRef.get(String(b.external_ref)) ?? []), b]);
  for (const row of bundleRows(files)) {
    const ref = row["bundle_ref"]!;
    const found = byRef.get(`${prefix}${ref}`) ?? [];
    if (found.length !== 1) out.push(`bundle ${ref}: ${found.length} bundles on TokPortal`);
    else if (found[0]!.status !== "published") out.push(`bundle ${ref}: status ${found[0]!.status}`);
  }
  for (const row of videoRows(files)) {
    const ref = `${row["bundle_ref"]}/${row["video_ref"]}`;
    const bundle = byRef.get(`${prefix}${row["bundle_ref"]}`)?.[0];
    const slots = bundle?.videos.filter((v) => v.external_ref === row["video_ref"]) ?? [];
    if (slots.length !== 1) {
      out.push(`video ${ref}: ${slots.length} slots carry its ref`);
      continue;
    }
    const slot = slots[0]!;
    const wrong = (
      [
        ["description", slot.description, row["description"]],
        ["target_publish_date", slot.target_publish_date?.slice(0, 10), row["target_publish_date"]],
        ["status", slot.status, "published"],
      ] as const
    ).filter(([, remote, sheet]) => remote !== sheet);
    for (const [field, remote, sheet] of wrong)
      out.push(
        `video ${ref}: ${field} is ${JSON.stringify(remote)}, the sheet says ${JSON.stringify(sheet)}`,
      );
  }
  return out;
}

/**
 * Rows whose write-back is not in the CSV files: each must say `synced` and carry the id of what TokPortal
 * holds for it (the bundle's id, the video slot's id).
 */
export function rowsMissingWriteBack(
  files: Pick<CampaignFiles, "bundlesPath" | "videosPath">,
  bundles: readonly Bundle[],
  prefix: string,
): string[] {
  const byRef = new Map(bundles.map((b) => [String(b.external_ref), b]));
  const out: string[] = [];
  for (const row of bundleRows(files)) {
    const remote = byRef.get(`${prefix}${row["bundle_ref"]}`);
    if (row["sync_status"] !== "synced" || !remote || row["bundle_id"] !== remote.id)
      out.push(
        `bundle ${row["bundle_ref"]}: sync_status "${row["sync_status"]}", bundle_id "${row["bundle_id"]}"`,
      );
  }
  for (const row of videoRows(files)) {
    const slot = byRef
      .get(`${prefix}${row["bundle_ref"]}`)
      ?.videos.find((v) => v.external_ref === row["video_ref"]);
    if (row["sync_status"] !== "synced" || !slot || row["video_id"] !== slot.id)
      out.push(
        `video ${row["bundle_ref"]}/${row["video_ref"]}: sync_status "${row["sync_status"]}", video_id "${row["video_id"]}"`,
      );
  }
  return out;
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// A kill switch in front of the emulator

export type KillWhen = "before" | "after";

export interface KillPoint {
  /** 1-based position of the write (POST/PUT/PATCH/DELETE under /api/ext) in the child's run. */
  write: number;
  /**
   * `before`: the write reaches the proxy and the child dies; TokPortal never sees it. `after`: TokPortal
   * handles it fully, then the child dies before the answer reaches it (the harder case: work done and
   * charged, and the run that asked for it gone).
   */
  when: KillWhen;
}

export interface KillProxy {
  /** Base URL of the API through the proxy (ends in /api/ext). */
  url: string;
  /** Watches the next run of `child`: SIGKILLs it at `at` (or never, with null). Resets the write count. */
  arm(child: { pid?: number | undefined; kill(signal: NodeJS.Signals): boolean }, at: KillPoint | null): void;
  /** Writes seen since the last `arm`, and whether the kill fired. */
  status(): { writes: number; killed: boolean };
  stop(): Promise<void>;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * An HTTP proxy between a child `tokportal-sync` and the emulator that kills the child at an exact write.
 * Counting at the proxy (not by polling the emulator's log) makes the kill point exact: the signal is sent
 * synchronously on the k-th write's arrival, or on its answer coming back from the emulator, and from then
 * on nothing else of that child is forwarded (requests already on their way to the emulator finish there,
 * as they would on a real server).
 */
export async function startKillProxy(upstreamOrigin: string): Promise<KillProxy> {
  const upstream = new URL(upstreamOrigin);
  const agent = new http.Agent({ keepAlive: true });
  let child: { kill(signal: NodeJS.Signals): boolean } | null = null;
  let at: KillPoint | null = null;
  let writes = 0;
  let killed = false;
  const kill = () => {
    killed = true;
    child?.kill("SIGKILL");
  };

  const server = http.createServer((req, res) => {
    if (killed) {
      req.socket.destroy();
      return;
    }
    const isWrite = WRITE_METHODS.has(req.method ?? "") && (req.url ?? "").startsWith("/api/ext");
    const n = isWrite ? ++writes : 0;
    const hit = at !== null && n === at.write;
    if (hit && at?.when === "before") {
      kill();
      req.socket.destroy();
      return;
    }
    const up = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on("data", (c: Buffer) => chunks.push(c));
        upRes.on("end", () => {
          // The emulator has done the work; the child dies before it learns the answer.
          if (hit) kill();
          if (killed) {
            req.socket.destroy();
            return;
          }
          const headers = { ...upRes.headers };
          delete headers["transfer-encoding"];
          headers["content-length"] = String(Buffer.concat(chunks).length);
          res.writeHead(upRes.statusCode ?? 502, headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    up.on("error", () => req.socket.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/ext`,
    arm(c, point) {
      child = c;
      at = point;
      writes = 0;
      killed = false;
    },
    status: () => ({ writes, killed }),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
