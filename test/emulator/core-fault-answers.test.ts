import { describe, expect, it } from "vitest";
import { omitPath, setPath, stringifyPath } from "../../src/emulator/fault-answers.ts";
import { parseFaultConfig } from "../../src/emulator/fault-config.ts";
import { editCsv } from "../../src/emulator/fault-csv.ts";
import { sharedEmulator } from "../support/emulator.ts";

const ACCOUNT_AND_VIDEOS = { bundle_type: "account_and_videos", country: "USA", videos_quantity: 3 };

describe("emulator faults: rules that answer a chosen response or rewrite the real one", () => {
  const emu = sharedEmulator();

  it("respond: answers the chosen status, headers and JSON instead of running the handler", async () => {
    await emu.admin("POST", "/faults", {
      rules: [
        {
          operationId: "createBundle",
          action: "respond",
          response: { status: 202, headers: { "X-Extra": "yes" }, json: { data: { queued: true } } },
        },
      ],
    });
    const res = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ data: { queued: true } });
    expect(res.headers.get("x-extra")).toBe("yes");
    expect(res.headers.get("x-tokportal-api-version")).toBeTruthy();
    expect(Object.keys(emu.state().bundles)).toHaveLength(0);
    expect((await emu.api("GET", "/credits/balance")).body.data.total_credits).toBe(10_000);
    expect(emu.requestLog().at(-2)?.fault).toBe("rule:respond");
    // times defaults to 1: the next request runs for real.
    expect((await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS })).status).toBe(201);
  });

  it("respond: a text body, matched by method and a path with a * segment, every time with always", async () => {
    const created = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    const id = created.body.data.id as string;
    await emu.admin("POST", "/faults", {
      rules: [
        {
          method: "get",
          path: "/bundles/*",
          action: "respond",
          always: true,
          response: { status: 502, text: "<html>gateway</html>" },
        },
      ],
    });
    for (let i = 0; i < 2; i++) {
      const res = await emu.api("GET", `/bundles/${id}`);
      expect(res.status).toBe(502);
      expect(res.text).toBe("<html>gateway</html>");
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    }
    expect((await emu.api("GET", `/bundles/${id}/videos`)).status).toBe(200);
  });

  it("rewrite: the work is done and charged once; the answer loses and changes fields", async () => {
    await emu.admin("POST", "/faults", {
      rules: [
        {
          operationId: "createBundle",
          action: "rewrite",
          rewrite: {
            omit: ["data.account_status", "data.id"],
            set: { credits_charged: "38", "data.extra.note": 1 },
            headers: { "x-rewritten": "1" },
            removeHeaders: ["X-RateLimit-Remaining"],
          },
        },
      ],
    });
    const key = { "idempotency-key": "rewrite-1" };
    const res = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers: key });
    expect(res.status).toBe(201);
    expect(res.body.data.account_status).toBeUndefined();
    expect(res.body.data.id).toBeUndefined();
    expect(res.body.data.bundle_id).toBeTruthy();
    expect(res.body.data.extra).toEqual({ note: 1 });
    expect(res.body.credits_charged).toBe("38");
    expect(res.headers.get("x-rewritten")).toBe("1");
    expect(res.headers.get("x-ratelimit-remaining")).toBeNull();
    expect(emu.requestLog().at(-1)?.fault).toBe("rule:rewrite");
    const ws = Object.values(emu.state().workspaces)[0];
    expect(ws?.credits).toBe(10_000 - 38);
    expect(ws?.ledger.filter((e) => e.type === "debit")).toHaveLength(1);

    // The replay answers the real stored answer (the rule fired once) and charges nothing again.
    const replay = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers: key });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.data.id).toBe(res.body.data.bundle_id);
    expect(replay.body.credits_charged).toBe(38);
    expect(Object.values(emu.state().workspaces)[0]?.credits).toBe(10_000 - 38);
  });

  it("rewrite: replaces the whole body and the status", async () => {
    await emu.admin("POST", "/faults", {
      rules: [
        { operationId: "createBundle", action: "rewrite", rewrite: { status: 200, json: { data: "ok" } } },
      ],
    });
    const res = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: "ok" });
    expect(Object.keys(emu.state().bundles)).toHaveLength(1);
  });

  it("rewrite: every item of a list with `*`, numbers as strings, and only the dry runs with dryRun", async () => {
    await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    emu.setFaults({
      rules: [
        {
          operationId: "listBundles",
          action: "rewrite",
          rewrite: { omit: ["pagination", "data.*.edits_quantity"], stringify: ["data.*.videos_quantity"] },
        },
        {
          operationId: "createBundle",
          dryRun: true,
          action: "rewrite",
          always: true,
          rewrite: { stringify: ["credits_would_charge", "data.missing.*"] },
        },
      ],
    });
    const list = await emu.api("GET", "/bundles");
    expect(list.body.pagination).toBeUndefined();
    expect(list.body.data).toHaveLength(2);
    for (const b of list.body.data) {
      expect(b).not.toHaveProperty("edits_quantity");
      expect(b.videos_quantity).toBe("3");
    }
    const real = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    expect(real.body.credits_charged).toBe(38);
    expect(emu.requestLog().at(-1)?.fault).toBeNull();
    const dry = await emu.api("POST", "/bundles", {
      body: ACCOUNT_AND_VIDEOS,
      headers: { "x-tokportal-dry-run": "true" },
    });
    expect(dry.body.credits_would_charge).toBe("38");
    expect(emu.requestLog().at(-1)?.fault).toBe("rule:rewrite");
  });

  it("refuses a rule that cannot mean what its author intended, naming the field", async () => {
    const bad = [
      { rules: [{ action: "respond" }] },
      { rules: [{ action: "rewrite", rewrite: { omitt: ["data"] } }] },
      { rules: [{ action: "respond", response: { status: 200, json: {}, text: "x" } }] },
      { rules: [{ action: "status", response: { status: 200 } }] },
      { rules: [{ action: "explode" }] },
      { rules: [{ action: "rewrite", rewrite: { csv: { rename: { a: "b" } }, omit: ["data"] } }] },
      { rules: [{ action: "rewrite", dryRun: "yes", rewrite: { status: 200 } }] },
      { errorrate: 0.1 },
    ];
    for (const config of bad) {
      const res = await emu.admin("POST", "/faults", config);
      expect(res.status, JSON.stringify(config)).toBe(400);
      expect(res.body.error.message).toMatch(/^faults/);
    }
    expect(() => emu.setFaults({ rules: [{ action: "respond" } as never] })).toThrow(
      /faults\.rules\.0\.response/,
    );
    expect(parseFaultConfig({})).toEqual({});
  });
});

describe("dotted paths", () => {
  it("omit deletes object fields and array items; a missing path changes nothing", () => {
    expect(omitPath({ data: { a: 1, b: 2 } }, ["data", "a"])).toEqual({ data: { b: 2 } });
    expect(omitPath({ data: { results: [1, 2] } }, ["data", "results"])).toEqual({ data: {} });
    expect(omitPath({ data: [{ a: 1 }, { a: 2 }] }, ["data", "0"])).toEqual({ data: [{ a: 2 }] });
    expect(omitPath({ data: 1 }, ["nope", "x"])).toEqual({ data: 1 });
  });
  it("set replaces values and creates the objects on the way", () => {
    expect(setPath({ data: { a: 1 } }, ["data"], "ok")).toEqual({ data: "ok" });
    expect(setPath({}, ["data", "x", "y"], 2)).toEqual({ data: { x: { y: 2 } } });
    expect(setPath({ data: [{ a: 1 }] }, ["data", "0", "a"], 3)).toEqual({ data: [{ a: 3 }] });
  });
});

describe("dotted paths with *, and numbers as strings", () => {
  it("omit and set reach every element or field; set creates nothing under *", () => {
    expect(omitPath({ data: [{ a: 1, b: 1 }, { a: 2 }] }, ["data", "*", "a"])).toEqual({
      data: [{ b: 1 }, {}],
    });
    expect(omitPath({ data: [1, 2] }, ["data", "*"])).toEqual({ data: [] });
    expect(omitPath({ data: { x: 1, y: 2 } }, ["data", "*"])).toEqual({ data: {} });
    expect(setPath({ data: [{ a: 1 }, { a: 2 }] }, ["data", "*", "a"], null)).toEqual({
      data: [{ a: null }, { a: null }],
    });
    expect(setPath({ data: [] }, ["data", "*", "a"], 1)).toEqual({ data: [] });
    expect(setPath({}, ["data", "*"], 1)).toStrictEqual({});
  });
  it("stringify turns numbers only, where they are", () => {
    const body = { n: 36, s: "x", z: null, data: { results: [{ position: 1 }, { position: 2 }] } };
    let out = stringifyPath(structuredClone(body), ["n"]);
    out = stringifyPath(out, ["s"]);
    out = stringifyPath(out, ["z"]);
    out = stringifyPath(out, ["absent"]);
    out = stringifyPath(out, ["data", "results", "*", "position"]);
    expect(out).toEqual({
      n: "36",
      s: "x",
      z: null,
      data: { results: [{ position: "1" }, { position: "2" }] },
    });
  });
});

describe("CSV columns", () => {
  const csv = 'video_id,views,likes,comments\nv1,10,2,0\nv2,5,1,"3"\n';
  it("renames, drops and adds columns, each row kept in step", () => {
    const out = editCsv(csv, {
      rename: { video_id: "Video ID", views: "View Count" },
      omit: ["comments"],
      add: { "Region Code": "US" },
    });
    expect(out).toBe("Video ID,View Count,likes,Region Code\nv1,10,2,US\nv2,5,1,US\n");
  });
  it("a header without rows stays a header", () => {
    expect(editCsv("video_id,views\n", { rename: { views: "View Count" } })).toBe("video_id,View Count\n");
  });
});

describe("rewrite paths with *", () => {
  it("edit every element of a list (or field of an object), and leave a list without them as it is", () => {
    const list = { data: [{ id: "a", saved_account_id: "s1" }, { id: "b" }] };
    expect(omitPath(structuredClone(list), ["data", "*", "saved_account_id"])).toEqual({
      data: [{ id: "a" }, { id: "b" }],
    });
    expect(setPath(structuredClone(list), ["data", "*", "position"], "2")).toEqual({
      data: [
        { id: "a", saved_account_id: "s1", position: "2" },
        { id: "b", position: "2" },
      ],
    });
    expect(omitPath({ data: [] }, ["data", "*", "x"])).toEqual({ data: [] });
  });
});
