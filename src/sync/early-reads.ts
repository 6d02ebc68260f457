/**
 * The reads of the actual state that need nothing from the desired state, started before it is built.
 *
 * TokPortal's token bucket starts a run full, and a full bucket loses what it refills: every millisecond a
 * run spends reading the sheet and building the desired state before its first read is a millisecond the
 * rate limit gives away. So the bundle listing starts with the run (it needs nothing from the sheet), and
 * the video slots of each bundle the sheet names go out as soon as both the listing and the sheet's refs
 * are in, while the desired state is being built. remote.ts takes these answers instead of asking again.
 *
 * The refs come from the sheet's cells, not from the desired state: a bundle whose rows turn out invalid
 * still has its slots read (one read, nothing charged), which the planner then does not use.
 */
import type { Bundle, TokPortalClient, Video } from "../api/index.ts";
import type { CampaignTables } from "../sources/types.ts";

export class EarlyReads {
  /** Every bundle of the workspace, as `fetchActual` lists them. */
  readonly listing: Promise<Bundle[]>;
  private readonly slots = new Map<string, Promise<Video[]>>();

  constructor(private readonly client: TokPortalClient) {
    this.listing = listBundles(client);
    // Awaited by fetchActual; a run that stops before it (a bad sheet) must not die of the rejection.
    this.listing.catch(() => {});
  }

  /**
   * Reads the slots of every listed bundle whose `external_ref` is one of `refs` and no other bundle's.
   * Resolves two turns of the event loop after asking, so that the requests reach the wire before the
   * caller keeps the CPU busy. A listing that failed reads nothing here; fetchActual reports its error.
   */
  async follow(refs: ReadonlySet<string>): Promise<void> {
    let all: Bundle[];
    try {
      all = await this.listing;
    } catch {
      return;
    }
    const seen = new Map<string, number>();
    for (const b of all) if (b.external_ref) seen.set(b.external_ref, (seen.get(b.external_ref) ?? 0) + 1);
    for (const b of all) {
      const ref = b.external_ref;
      if (!ref || !refs.has(ref) || seen.get(ref) !== 1) continue;
      const read = this.client.videos.list(b.id);
      read.catch(() => {});
      this.slots.set(b.id, read);
    }
    // Connections open and requests are written on the next turns of the event loop.
    await nextTurn();
    await nextTurn();
  }

  /** The slots read for `bundleId`, once: a second ask reads again (nothing is answered twice). */
  takeVideos(bundleId: string): Promise<Video[]> | undefined {
    const read = this.slots.get(bundleId);
    this.slots.delete(bundleId);
    return read;
  }
}

/** The `external_ref` each bundle the sheet names would have on TokPortal (its prefix and bundle_ref). */
export function sheetRefs(tables: CampaignTables, prefix: string): Set<string> {
  const refs = new Set<string>();
  for (const rows of [tables.bundles ?? [], tables.videos]) {
    for (const row of rows) {
      const ref = row.cells["bundle_ref"];
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
