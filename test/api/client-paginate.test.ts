/**
 * Lists walked page by page: over HTTP against 250 bundles (each exactly once, three requests of 100), and
 * the stopping rules on their own, including servers that misbehave.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import { TokPortalError } from "../../src/api/errors.ts";
import { type PageOf, paginate } from "../../src/api/paginate.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

describe("bundles.list over HTTP", () => {
  let emu: TestEmulator;
  let client: TokPortalClient;
  const created = new Set<string>();

  beforeAll(async () => {
    emu = await startTestEmulator({ bucket: { capacity: 120, refillPerSecond: 100 } });
    const { apiKey } = emu.createKey({ credits: 10_000 });
    client = new TokPortalClient({ baseUrl: emu.url, apiKey, concurrency: 8 });
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 250) {
          const ref = `page-${next++}`;
          const res = await client.bundles.create(
            { bundle_type: "account_only", country: "USA", external_ref: ref },
            { idempotencyKey: `create-${ref}` },
          );
          created.add(res.data.id);
        }
      }),
    );
  });

  afterAll(async () => {
    await client.close();
    await emu.stop();
  });

  it("returns each of 250 bundles exactly once, in three pages of 100", async () => {
    const before = emu.requestLog().length;
    const seen: string[] = [];
    for await (const b of client.bundles.list()) seen.push(b.id);
    expect(seen).toHaveLength(250);
    expect(new Set(seen)).toEqual(created);
    const pages = emu.requestLog(before).filter((e) => e.operationId === "listBundles");
    expect(pages).toHaveLength(3);
  });

  it("passes filters through and stops early when the caller does", async () => {
    const one = [];
    for await (const b of client.bundles.list({ external_ref: "page-42" })) one.push(b);
    expect(one.map((b) => b.external_ref)).toEqual(["page-42"]);
    const before = emu.requestLog().length;
    let n = 0;
    for await (const _ of client.bundles.list()) if (++n === 5) break;
    expect(emu.requestLog(before).filter((e) => e.operationId === "listBundles")).toHaveLength(1);
  });
});

describe("paginate's stopping rules", () => {
  /** A fake list of `total` numbered items; `mutate` lets a test misbehave like a server could. */
  function source(total: number, mutate?: (page: number, p: PageOf<number>) => PageOf<number>) {
    const requested: number[] = [];
    const fetch = async (page: number, perPage: number): Promise<PageOf<number>> => {
      requested.push(page);
      const items = Array.from({ length: total }, (_, i) => i).slice((page - 1) * perPage, page * perPage);
      const p = { items, totalPages: Math.ceil(total / perPage) };
      return mutate ? mutate(page, p) : p;
    };
    return { fetch, requested };
  }

  async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  }

  it("stops at total_pages", async () => {
    const s = source(250);
    expect(await collect(paginate(s.fetch))).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(s.requested).toEqual([1, 2, 3]);
  });

  it("makes one request for an empty list", async () => {
    const s = source(0);
    expect(await collect(paginate(s.fetch))).toEqual([]);
    expect(s.requested).toEqual([1]);
  });

  it("stops on an empty page even when total_pages says there is more", async () => {
    const s = source(150, (_, p) => ({ ...p, totalPages: 99 }));
    expect(await collect(paginate(s.fetch))).toHaveLength(150);
    expect(s.requested).toEqual([1, 2, 3]);
  });

  it("without a pagination block, stops on a short page", async () => {
    const s = source(230, (_, p) => ({ ...p, totalPages: null }));
    expect(await collect(paginate(s.fetch))).toHaveLength(230);
    expect(s.requested).toEqual([1, 2, 3]);
  });

  it("never loops forever on a server that ignores the page number", async () => {
    const s = source(1000, () => ({ items: [1, 2, 3, 4], totalPages: 1_000_000 }));
    const error = await collect(
      paginate(s.fetch, { perPage: 4, maxPages: 50, operationId: "listBundles" }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokPortalError);
    expect(error).toMatchObject({ code: "PAGINATION_LIMIT", operationId: "listBundles" });
    expect(s.requested).toHaveLength(50);
  });

  it("with a key, skips items that shifted onto the next page", async () => {
    // An item created meanwhile pushes the last item of page 1 onto page 2.
    const s = source(200, (page, p) => (page === 2 ? { ...p, items: [99, ...p.items.slice(0, 99)] } : p));
    const items = await collect(paginate(s.fetch, { key: String }));
    expect(items).toHaveLength(199);
    expect(new Set(items).size).toBe(199);
  });

  it("caps per_page at 100", async () => {
    const pages: number[] = [];
    await collect(
      paginate(
        async (_page, perPage) => {
          pages.push(perPage);
          return { items: [], totalPages: 0 };
        },
        { perPage: 500 },
      ),
    );
    expect(pages).toEqual([100]);
  });
});
