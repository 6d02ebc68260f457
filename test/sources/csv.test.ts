import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../../src/api/spec.ts";
import { canonicalCountry, isOpenForNewAccounts } from "../../src/emulator/ops/countries.ts";
import { coerceCampaign } from "../../src/sources/coerce.ts";
import { CsvSource } from "../../src/sources/csv.ts";
import {
  detectDelimiter,
  firstInvalidUtf8,
  readCsvGrid,
  splitRawRecord,
} from "../../src/sources/csv-file.ts";
import { encodeCsvValue, escapeFormula, looksLikeFormula } from "../../src/sources/formula.ts";
import { createSource, SourceConfigError, SourceError } from "../../src/sources/index.ts";
import { tempCsvFiles } from "./support/temp-csv.ts";

const { dir, file } = tempCsvFiles("csv-read");

describe("reading CSV files", () => {
  it("reads the example campaign without a problem", async () => {
    const src = createSource(
      { type: "csv", bundles: "fixtures/campaign/bundles.csv", videos: "fixtures/campaign/videos.csv" },
      { baseDir: process.cwd() },
    );
    expect(src.describe()).toBe("fixtures/campaign/bundles.csv + fixtures/campaign/videos.csv");
    const t = await src.read();
    expect(t.problems).toEqual([]);
    expect(t.bundles).toHaveLength(4);
    expect(t.videos).toHaveLength(13);
    expect(t.videos.every((v) => (v.cells["target_publish_date"] ?? "") >= "2027-03-01")).toBe(true);
    expect(t.bundles![2]!.cells["biography"]).toBe("Outfits, tips and hauls");
  });

  it("the example campaign types cleanly and every row makes a request the spec accepts", async () => {
    const t = await createSource({
      type: "csv",
      bundles: "fixtures/campaign/bundles.csv",
      videos: "fixtures/campaign/videos.csv",
    }).read();
    const typed = coerceCampaign(t);
    expect(typed.problems).toEqual([]);
    const spec = loadSpec();
    for (const b of typed.bundles) {
      const {
        rowNumbers: _r,
        bundle_ref,
        username,
        visible_name,
        biography,
        profile_picture,
        link_in_bio,
        publish: _p,
        ...rest
      } = b.input!;
      const bundle = spec.validateSchema("CreateBundleRequest", { ...rest, external_ref: bundle_ref });
      expect(bundle.ok, `${bundle_ref}: ${JSON.stringify(bundle.issues)}`).toBe(true);
      // Countries as the service spells them, and open for new accounts (the sandbox uses this campaign).
      expect(canonicalCountry(rest.country ?? ""), bundle_ref).toBe(rest.country);
      expect(isOpenForNewAccounts(rest.country ?? ""), bundle_ref).toBe(true);
      const account = spec.validateSchema("ConfigureAccountRequest", {
        username,
        visible_name,
        biography,
        profile_picture_url: profile_picture,
        link_in_bio,
      });
      expect(account.ok, `${bundle_ref}: ${JSON.stringify(account.issues)}`).toBe(true);
    }
    for (const v of typed.videos) {
      // The review verdict goes to the review requests once the video is posted, not to the configure.
      const {
        video_ref,
        bundle_ref: _b,
        publish: _p,
        position: _pos,
        review: _review,
        review_note: _note,
        ...rest
      } = v.input!;
      const video = spec.validateSchema("ConfigureVideoRequest", { ...rest, external_ref: video_ref });
      expect(video.ok, `${video_ref}: ${JSON.stringify(video.issues)}`).toBe(true);
    }
  });

  it("handles BOM, CRLF, quoted newlines and blank lines, with row numbers as a spreadsheet shows them", async () => {
    const p = file(
      '\uFEFFvideo_ref,bundle_ref,description\r\nv1,b1,"two\r\nlines"\r\n\r\nv2,b1,"say ""hi"""\r\n,,\r\nv3,b1,last',
    );
    const t = await new CsvSource({ videosPath: p }).read();
    expect(t.problems).toEqual([]);
    expect(t.bundles).toBeNull();
    expect(t.videos.map((r) => [r.rowNumber, r.cells["video_ref"], r.cells["description"]])).toEqual([
      [2, "v1", "two\r\nlines"],
      [4, "v2", 'say "hi"'],
      [6, "v3", "last"],
    ]);
  });

  it("detects ; tab and | delimiters, and takes the config's override", async () => {
    expect(detectDelimiter("a;b;c\n1,5;2;3")).toBe(";");
    expect(detectDelimiter("a\tb\tc")).toBe("\t");
    expect(detectDelimiter("a|b|c")).toBe("|");
    expect(detectDelimiter('"x;y;z",b')).toBe(",");
    expect(detectDelimiter("single")).toBe(",");
    for (const [d, name] of [
      [";", "semicolon"],
      ["\t", "tab"],
      ["|", "pipe"],
    ] as const) {
      const p = file(`video_ref${d}bundle_ref${d}description\nv1${d}b1${d}"a, b${d} c"\n`);
      const t = await new CsvSource({ videosPath: p }).read();
      expect(t.problems, name).toEqual([]);
      expect(t.videos[0]!.cells["description"], name).toBe(`a, b${d} c`);
    }
    const forced = file("video_ref;bundle_ref\nv1;b1\n");
    const t = await new CsvSource({ videosPath: forced, delimiter: "," }).read();
    expect(t.problems.map((p) => [p.column, p.fatal])).toEqual([
      ["video_ref", true],
      ["bundle_ref", true],
    ]);
    expect(t.problems[0]!.message).toContain("check the file's delimiter");
  });

  it("rejects UTF-16 and Latin-1 with a message naming the file and the fix", async () => {
    const utf16 = file(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("video_ref,bundle_ref\n", "utf16le")]),
    );
    const latin1 = file(
      Buffer.concat([
        Buffer.from("video_ref,bundle_ref,description\nv1,b1,ok\nv2,b1,caf"),
        Buffer.from([0xe9, 0x0a]),
      ]),
    );
    for (const [p, word] of [
      [utf16, "UTF-16"],
      [latin1, "line 3"],
    ] as const) {
      const t = await new CsvSource({ videosPath: p, displayBase: dir }).read();
      expect(t.videos).toEqual([]);
      expect(t.problems).toHaveLength(1);
      expect(t.problems[0]!.fatal).toBe(true);
      expect(t.problems[0]!.message).toContain(path.basename(p));
      expect(t.problems[0]!.message).toContain("CSV UTF-8");
      expect(t.problems[0]!.message).toContain(word);
    }
  });

  it("rejects invalid UTF-8 even when it falls past the first chunk", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `v${i},b1,description number ${i}`).join("\n");
    const p = file(
      Buffer.concat([
        Buffer.from(`video_ref,bundle_ref,description\n${rows}\nvx,b1,`),
        Buffer.from([0xc3, 0x28, 0x0a]),
      ]),
    );
    const t = await new CsvSource({ videosPath: p }).read();
    expect(t.problems).toEqual([
      expect.objectContaining({ fatal: true, message: expect.stringContaining("line 20002") }),
    ]);
  });

  it("finds the bad byte's line even when a chunk starts inside a valid character", async () => {
    const head = "video_ref,bundle_ref,description\nv1,b1,";
    const pad = "x".repeat(256 * 1024 - Buffer.byteLength(head) - 1);
    // "€" (3 bytes) straddles the first chunk boundary; a Latin-1 byte follows two lines later.
    const p = file(
      Buffer.concat([Buffer.from(`${head}${pad}€\nv2,b1,ok\nv3,b1,caf`), Buffer.from([0xe9, 0x0a])]),
    );
    const t = await new CsvSource({ videosPath: p }).read();
    expect(t.problems).toEqual([
      expect.objectContaining({ fatal: true, message: expect.stringContaining("line 4") }),
    ]);
    expect(firstInvalidUtf8(Buffer.from([0x82, 0xac, 0x41, 0xe9, 0x0a]))).toBe(3);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xc3, 0x28]))).toBe(1);
  });

  it("reads a 3-byte character split across stream chunks", async () => {
    const pad = "x".repeat(256 * 1024 - "video_ref,bundle_ref,description\nv1,b1,".length - 1);
    const p = file(`video_ref,bundle_ref,description\nv1,b1,${pad}€\n`);
    const t = await new CsvSource({ videosPath: p }).read();
    expect(t.problems).toEqual([]);
    expect(t.videos[0]!.cells["description"]!.endsWith("x€")).toBe(true);
  });

  it("names the row of an unclosed quote and keeps the rows before it", async () => {
    const p = file('video_ref,bundle_ref,description\nv1,b1,fine\nv2,b1,"never closed\nv3,b1,swallowed\n');
    const t = await new CsvSource({ videosPath: p }).read();
    expect(t.videos.map((r) => r.cells["video_ref"])).toEqual(["v1"]);
    expect(t.problems).toEqual([expect.objectContaining({ rowNumber: 3, fatal: false })]);
  });

  it("reports a missing file as fatal", async () => {
    const t = await new CsvSource({ videosPath: path.join(dir, "nope.csv"), displayBase: dir }).read();
    expect(t.problems).toEqual([
      expect.objectContaining({ fatal: true, message: expect.stringContaining("nope.csv does not exist") }),
    ]);
  });

  it("keeps every record's exact text when asked (the write path)", async () => {
    const content = 'a,b\r\n"x ""q""",\r\n\r\n1,"2\n3"';
    const p = file(content);
    const g = await readCsvGrid(p, { table: "videos", displayName: "f", keepRaw: true });
    expect(g.raw!.join("")).toBe(content);
    expect(g.raw).toEqual(["a,b\r\n", '"x ""q""",\r\n', "\r\n", '1,"2\n3"']);
    expect(g.format).toEqual({ delimiter: ",", newline: "\r\n", bom: false });
    expect(splitRawRecord('"x ""q""",', ",")).toEqual(['"x ""q"""', ""]);
    expect(splitRawRecord('"a"b,c', ",")).toBeNull();
  });
});

describe("raw records line up with parsed records (what write-back relies on)", () => {
  // A small seeded generator: the same files on every run.
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pieces = ["a", "b c", "é", "€", ",", ";", '"', "\n", "\r\n", " ", "=1+1", "x".repeat(50)];
  const field = (delimiter: string): string => {
    let v = "";
    for (let i = rand(6); i > 0; i--) v += pieces[rand(pieces.length)];
    return /["\r\n]/.test(v) || v.includes(delimiter) || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v;
  };

  for (const [delimiter, newline] of [
    [",", "\n"],
    [";", "\r\n"],
  ] as const) {
    it(`delimiter ${JSON.stringify(delimiter)}, newline ${JSON.stringify(newline)}, across stream chunks`, async () => {
      const lines: string[][] = [];
      let size = 0;
      while (size < 700_000) {
        const cells = Array.from({ length: 1 + rand(6) }, () => field(delimiter));
        if (rand(20) === 0) cells.length = 0;
        lines.push(cells);
        size += cells.join(delimiter).length + 2;
      }
      const content = lines.map((l) => l.join(delimiter)).join(newline) + newline;
      const p = file(content);
      const g = await readCsvGrid(p, { table: "videos", displayName: "f", keepRaw: true, delimiter });
      expect(g.problems).toEqual([]);
      expect(g.raw!.join("")).toBe(content);
      expect(g.raw).toHaveLength(lines.length);
      for (let i = 0; i < lines.length; i++) {
        const body = g.raw![i]!.endsWith(newline) ? g.raw![i]!.slice(0, -newline.length) : g.raw![i]!;
        expect(body).toBe(lines[i]!.join(delimiter));
        const fields = body === "" ? [""] : splitRawRecord(body, delimiter);
        expect(fields?.map((f) => (f.startsWith('"') ? f.slice(1, -1).replaceAll('""', '"') : f))).toEqual(
          g.records![i],
        );
      }
    });
  }
});

describe("formula escaping", () => {
  it("prefixes remote text a spreadsheet would run, is idempotent, and keeps our numbers numbers", () => {
    for (const t of ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "-5"]) {
      expect(looksLikeFormula(t)).toBe(true);
      expect(escapeFormula(t)).toBe(`'${t}`);
      expect(escapeFormula(escapeFormula(t))).toBe(`'${t}`);
    }
    for (const t of ["hello", "", " =x", "'=x", "12", "https://x/?a=b"]) expect(escapeFormula(t)).toBe(t);
    expect(encodeCsvValue(-5)).toBe("-5");
    expect(encodeCsvValue(0.25)).toBe("0.25");
    expect(encodeCsvValue(Number.NaN)).toBe("");
    expect(encodeCsvValue(null)).toBe("");
    expect(encodeCsvValue("-5")).toBe("'-5");
  });
});

describe("createSource", () => {
  it("resolves paths against baseDir and validates options", () => {
    expect(() => createSource({ type: "csv", videos: "v.csv", delimiter: "#" })).toThrow(SourceConfigError);
    expect(() => createSource({ type: "csv", videos: "v.csv", delimiter: "#" })).toThrow(SourceError);
    expect(() => createSource({ type: "csv", videos: "v.csv", date_format: "YYYY/DD/MM" as never })).toThrow(
      /date_format/,
    );
    expect(() => createSource({ type: "ftp" } as never)).toThrow(/csv/);
    const s = createSource({ type: "csv", videos: "v.csv", delimiter: "tab" }, { baseDir: dir });
    expect(s.describe()).toBe("v.csv (single table)");
  });

  it("routes one alias map to the tables that have the target column", async () => {
    const b = file("Ref,Account name\nb1,Spring\n");
    const v = file("Clip,Ref\nv1,b1\n");
    const s = createSource({
      type: "csv",
      bundles: b,
      videos: v,
      columns: { Ref: "bundle_ref", "Account name": "visible_name", Clip: "video_ref" },
    });
    const t = await s.read();
    expect(t.problems).toEqual([]);
    expect(t.bundles![0]!.cells).toMatchObject({ bundle_ref: "b1", visible_name: "Spring" });
    expect(t.videos[0]!.cells).toMatchObject({ bundle_ref: "b1", video_ref: "v1" });
  });
});
