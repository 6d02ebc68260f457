/**
 * The per-row records of a wide sheet stay in V8's compact form (src/sources/records.ts). Asked of V8
 * itself in a child process (`%HasFastProperties`, behind --allow-natives-syntax): a record given its
 * 48 keys one by one was a dictionary, eight times the memory, and nothing else would notice.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `body` (an ES module) with natives syntax and tsx; returns what it printed. */
function inV8(body: string): string {
  const run = spawnSync(
    process.execPath,
    ["--allow-natives-syntax", "--import", "tsx", "--input-type=module", "-e", body],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.trim();
}

describe("records of a wide sheet", () => {
  it("a videos row with every column init lays out is a compact object, as is a synced row's outputs", () => {
    const out = inV8(`
      import { knownColumns, outputColumns } from "./src/sources/columns.ts";
      import { gridToRows } from "./src/sources/table.ts";
      import { coerceCampaign } from "./src/sources/coerce.ts";
      const fast = new Function("o", "return %HasFastProperties(o)");
      const header = [...knownColumns({ table: "videos", singleTable: false })];
      const outputs = new Set(outputColumns({ table: "videos", singleTable: false }));
      const grid = [header];
      for (let i = 0; i < 50; i++) {
        grid.push(header.map((h) => h === "video_ref" ? "v" + i : h === "bundle_ref" ? "b1" : outputs.has(h) ? "x" + i : ""));
      }
      const { rows } = gridToRows(grid, { table: "videos" });
      const campaign = coerceCampaign({ bundles: [], videos: rows, problems: [] });
      console.log(JSON.stringify({
        columns: header.length,
        cells: rows.every((r) => fast(r.cells)),
        outputs: campaign.videos.every((r) => fast(r.outputs)),
        outputKeys: Object.keys(campaign.videos[0].outputs).length,
      }));
    `);
    const seen = JSON.parse(out) as { columns: number; cells: boolean; outputs: boolean; outputKeys: number };
    expect(seen.columns).toBeGreaterThan(40);
    expect(seen.outputKeys).toBeGreaterThanOrEqual(20);
    expect(seen).toMatchObject({ cells: true, outputs: true });
  });
});
