/**
 * The reads of the actual state that need nothing from the desired state, started before it is built.
 *
 * TokPortal's token bucket starts a run full, and a full bucket loses what it refills: every millisecond a
 * run spends reading the sheet and building the desired state before its first read is a millisecond the
 * rate limit gives away. So the bundle listing starts with the run (it needs nothing from the sheet); the
 * slots of the bundles whose ids the sheet holds (an earlier run wrote them back) go out as soon as the
 * source has read the table holding them, beside the listing; and those of the other bundles the sheet
 * names once the listing is in, while the desired state is being built. remote.ts takes these answers
 * instead of asking again.
 *
 * The refs come from the sheet's cells, not from the desired state: a bundle whose rows turn out invalid
 * still has its slots read (one read, nothing charged), which the planner then does not use.
 */
import type { Bundle, TokPortalClient, Video } from "../api/index.ts";
import type { CampaignTables, SheetRow, TableName } from "../sources/types.ts";

/**
 * How many bundles have their slots read by the `bundle_id` a sheet row holds, before the listing confirms
 * it: as many as the client has connections (src/api/transport.ts), since more would only queue behind
 * them until the listing is in anyway. A sheet whose ids are not this workspace's (a campaign copied from
 * another) spends at most this many reads on them, nothing charged.
 */
export const READ_AHEAD_OF_LISTING = 16;

export class EarlyReads {
  /** Every bundle of the workspace, as `fetchActual` lists them. */
  readonly listing: Promise<Bundle[]>;
  private readonly slots = new Map<string, Promise<Video[]>>();
  /** Refs whose first id was read ahead (or had none): a ref's later rows add nothing. */
  private readonly aheadRefs = new Set<string>();
  /** The tables `ahead` has seen. */
  private readonly looked = new Set<TableName>();

  constructor(private readonly client: TokPortalClient) {
    this.listing = listBundles(client);
    // Awaited by fetchActual; a run that stops before it (a bad sheet) must not die of the rejection.
    this.listing.catch(() => {});
  }

  /**
   * Reads the slots of the bundles whose ids `table`'s rows hold (the first id of each bundle_ref), up to
   * `READ_AHEAD_OF_LISTING` in all; called with each table as the source reads it (types.ts, ReadObserver).
   */
  ahead(table: TableName, rows: readonly SheetRow[]): void {
    if (this.looked.has(table)) return;
    this.looked.add(table);
    // Every read so far is a read ahead: those of the listing come after the last `ahead` (see follow).
    for (const row of rows) {
      if (this.slots.size >= READ_AHEAD_OF_LISTING) return;
      const ref = row.cells["bundle_ref"]?.trim();
      if (!ref || this.aheadRefs.has(ref)) continue;
      this.aheadRefs.add(ref);
      const id = row.cells["bundle_id"]?.trim();
      if (!id || this.slots.has(id)) continue;
      this.read(id);
    }
  }

  /**
   * Reads the slots of every listed bundle whose `external_ref` the sheet names and no other bundle has,
   * once the listing is in (and first those of the ids the sheet holds, if the source did not show its
   * rows as it read them). Resolves two turns of the event loop after the last ask, so that the requests
   * reach the wire before the caller keeps the CPU busy. A listing that failed reads nothing more here;
   * fetchActual reports its error.
   */
  async follow(sheet: CampaignTables, prefix: string): Promise<void> {
    this.ahead("bundles", sheet.bundles ?? []);
    this.ahead("videos", sheet.videos);
    let all: Bundle[];
    try {
      all = await this.listing;
    } catch {
      return;
    }
    const named = sheetRefs(sheet, prefix);
    const seen = new Map<string, number>();
    for (const b of all) if (b.external_ref) seen.set(b.external_ref, (seen.get(b.external_ref) ?? 0) + 1);
    for (const b of all) {
      const ref = b.external_ref;
      if (!ref || !named.has(ref) || seen.get(ref) !== 1 || this.slots.has(b.id)) continue;
      this.read(b.id);
    }
    // Connections open and requests are written on the next turns of the event loop.
    await nextTurn();
    await nextTurn();
  }

  /**
   * The slots read for `bundleId`, once: a second ask reads again (nothing is answered twice). fetchActual
   * asks only for bundles the listing has under a ref the sheet names: an id the sheet holds is a reason
   * to read early, never a match, and the answer to an id the listing does not confirm goes unused.
   */
  takeVideos(bundleId: string): Promise<Video[]> | undefined {
    const read = this.slots.get(bundleId);
    this.slots.delete(bundleId);
    return read;
  }

  private read(bundleId: string): void {
    const read = this.client.videos.list(bundleId);
    read.catch(() => {});
    this.slots.set(bundleId, read);
  }
}

/** The `external_ref` each bundle the sheet names would have on TokPortal (its prefix and bundle_ref). */
function sheetRefs(tables: CampaignTables, prefix: string): Set<string> {
  const refs = new Set<string>();
  for (const rows of [tables.bundles ?? [], tables.videos]) {
    for (const row of rows) {
      const ref = row.cells["bundle_ref"]?.trim();
      if (ref) refs.add(prefix + ref);
    }
  }
  return refs;
}

async function listBundles(client: TokPortalClient): Promise<Bundle[]> {
  const all: Bundle[] = [];
  for await (const bundle of client.bundles.list()) all.push(bundle);
  return all;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
