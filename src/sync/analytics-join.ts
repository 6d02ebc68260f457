/**
 * Pure part of the analytics read-back: reading TokPortal's metrics (the CSV export or the JSON items of the
 * per-account and per-video endpoints) into sheet values, and joining them to the video rows by video id,
 * else by platform URL.
 *
 * TokPortal marks a metric it could not measure as an empty cell or null (docs/tokportal-api.md §10): such
 * a metric stays absent here, so the sheet cell stays empty instead of showing a 0 nobody measured.
 */
import Papa from "papaparse";

export const METRIC_COLUMNS = [
  "views",
  "likes",
  "comments",
  "shares",
  "bookmarks",
  "engagement_rate",
] as const;
const COUNT_COLUMNS = ["views", "likes", "comments", "shares", "bookmarks"] as const;

export type AnalyticsColumn = (typeof METRIC_COLUMNS)[number] | "analytics_at";
export type AnalyticsValues = Partial<Record<AnalyticsColumn, number | string>>;

export interface AnalyticsTarget {
  /** The video row's id (`v:<bundle_ref>/<video_ref>`). */
  rowId: string;
  /** The slot's id (`video_id`). */
  videoId: string | null;
  /** Fallback join key. */
  platformUrl: string | null;
  bundleId: string | null;
  /** The bundle's `saved_account_id` (delivered accounts only). */
  savedAccountId: string | null;
}

/** One measured video, from whichever endpoint: the keys to join on and the values it gives. */
export interface MeasuredVideo {
  videoId: string | null;
  platformUrl: string | null;
  values: AnalyticsValues;
}

/** Metric fields as they come from the JSON endpoints (`VideoAnalytics`); null or absent = not measured. */
export type MetricFields = Partial<
  Record<(typeof METRIC_COLUMNS)[number], number | null> & { scraped_at: string | null }
> & { video_id?: string | null; platform_url?: string | null };

/**
 * The join key of a post URL: trimmed, scheme and host lowercased, trailing slashes dropped. The path keeps
 * its case (TikTok and Instagram ids are case-sensitive).
 */
export function normalizePlatformUrl(url: string | null | undefined): string | null {
  if (typeof url !== "string") return null;
  let s = url.trim();
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(s);
  if (m) s = `${m[1]?.toLowerCase()}${m[2]?.toLowerCase()}${m[3]}`;
  s = s.replace(/\/+$/, "");
  return s === "" ? null : s;
}

export interface ParsedCsv {
  records: Array<Record<string, string>>;
  /** Rows that could not be read (wrong number of cells…), in words; their data is not used. */
  problems: string[];
  /** Header names, as TokPortal spelled them, that map to nothing the sync reads (their cells are ignored). */
  unmapped: string[];
}

/**
 * The export's column names are not published (docs/tokportal-api.md §10): each header is folded (case,
 * spaces, dashes, a `count` suffix) and read through these aliases into the names the sync uses.
 */
const HEADER_ALIASES: Record<string, string> = {
  video_id: "video_id",
  videoid: "video_id",
  slot_id: "video_id",
  bundle_id: "bundle_id",
  position: "position",
  external_ref: "external_ref",
  platform_url: "platform_url",
  post_url: "platform_url",
  video_link: "platform_url",
  platform_link: "platform_url",
  views: "views",
  view: "views",
  plays: "views",
  play: "views",
  likes: "likes",
  like: "likes",
  comments: "comments",
  comment: "comments",
  shares: "shares",
  share: "shares",
  bookmarks: "bookmarks",
  bookmark: "bookmarks",
  saves: "bookmarks",
  save: "bookmarks",
  favorites: "bookmarks",
  engagement_rate: "engagement_rate",
  engagement: "engagement_rate",
  scraped_at: "scraped_at",
  last_scraped_at: "scraped_at",
};

/** Columns TokPortal's export has that the sync knowingly does not read: not worth a warning. */
const KNOWN_UNREAD = new Set([
  "platform",
  "upload_date",
  "posted_at",
  "country",
  "published_at",
  "account_id",
  "saved_account_id",
  "username",
  "video_type",
  "bundle_title",
  "title",
  "description",
  "target_publish_date",
  "status",
]);

/** `View Count` → `views`, `Video ID` → `video_id`; null when the header names nothing the sync knows. */
export function canonicalHeader(header: string): string | null {
  const folded = header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const bare = folded.replace(/_?(count|total|number)$/, "").replace(/^(total|number_of)_/, "");
  return HEADER_ALIASES[folded] ?? HEADER_ALIASES[bare] ?? (KNOWN_UNREAD.has(folded) ? folded : null);
}

/**
 * The export CSV as records keyed by the sync's names for its columns (see `canonicalHeader`); every cell
 * stays a string. A column that maps to nothing is kept under its folded name and listed in `unmapped`;
 * a second column mapping to a name already taken is ignored (and listed), never merged into it.
 */
export function parseAnalyticsCsv(text: string): ParsedCsv {
  const unmapped: string[] = [];
  const taken = new Set<string>();
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ""), {
    header: true,
    skipEmptyLines: "greedy",
    dynamicTyping: false,
    transformHeader: (h, i) => {
      const name = canonicalHeader(h);
      if (name !== null && !taken.has(name)) {
        taken.add(name);
        return name;
      }
      if (h.trim() !== "") unmapped.push(h.trim());
      return `\u0000unmapped:${i}`;
    },
  });
  // A row with too few or too many cells is shifted: its numbers would land in the wrong columns.
  const bad = new Set<number>();
  const problems: string[] = [];
  for (const e of parsed.errors) {
    if (e.row !== undefined && e.row !== null) bad.add(e.row);
    problems.push(`CSV record ${e.row === undefined || e.row === null ? "?" : e.row + 1}: ${e.message}`);
  }
  const records = parsed.data
    .filter((_, i) => !bad.has(i))
    .map((r) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(r)) if (!k.startsWith("\u0000")) out[k] = v;
      return out;
    });
  return { records, problems, unmapped };
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A cell that holds a count: a whole number ≥ 0, else absent. */
export function readCount(cell: unknown): number | undefined {
  const n = readNumber(cell);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** A cell that holds a number (a trailing `%` tolerated), else absent: "", "-", "n/a" are not measured. */
export function readNumber(cell: unknown): number | undefined {
  if (typeof cell === "number") return Number.isFinite(cell) ? cell : undefined;
  if (typeof cell !== "string") return undefined;
  const s = cell.trim().replace(/%$/, "").trim();
  if (!DECIMAL.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function readInstant(cell: unknown): string | undefined {
  if (typeof cell !== "string" || cell.trim() === "") return undefined;
  const ms = Date.parse(cell.trim());
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * Sheet values of one measured video. `analytics_at` is when TokPortal scraped the numbers, else `now` (when
 * we read them); it is only set when at least one metric was measured.
 */
export function valuesOf(fields: Record<string, unknown>, now: () => Date): AnalyticsValues {
  const values: AnalyticsValues = {};
  for (const column of COUNT_COLUMNS) {
    const n = readCount(fields[column]);
    if (n !== undefined) values[column] = n;
  }
  const rate = readNumber(fields.engagement_rate);
  if (rate !== undefined) values.engagement_rate = rate;
  if (Object.keys(values).length > 0)
    values.analytics_at = readInstant(fields.scraped_at) ?? now().toISOString();
  return values;
}

function textOrNull(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

/** A CSV export record, or a JSON item of the per-account or per-video endpoints. */
export function measuredFrom(fields: Record<string, unknown>, now: () => Date): MeasuredVideo {
  return {
    videoId: textOrNull(fields.video_id),
    platformUrl: textOrNull(fields.platform_url),
    values: valuesOf(fields, now),
  };
}

/** Of two readings of the same video, the later scrape (a video listed twice must not lose numbers). */
function later(a: MeasuredVideo, b: MeasuredVideo): MeasuredVideo {
  const at = (m: MeasuredVideo) => (typeof m.values.analytics_at === "string" ? m.values.analytics_at : "");
  const count = (m: MeasuredVideo) => Object.keys(m.values).length;
  if (at(b) !== at(a)) return at(b) > at(a) ? b : a;
  return count(b) > count(a) ? b : a;
}

/**
 * Each target's values: the measured video with its video id, else the one with its platform URL. Targets
 * that match nothing, or only a video with no measured metric, get no entry.
 */
export function joinAnalytics(
  targets: readonly AnalyticsTarget[],
  measured: Iterable<MeasuredVideo>,
): Map<string, AnalyticsValues> {
  const byId = new Map<string, MeasuredVideo>();
  const byUrl = new Map<string, MeasuredVideo>();
  for (const m of measured) {
    if (m.videoId) {
      const seen = byId.get(m.videoId);
      byId.set(m.videoId, seen ? later(seen, m) : m);
    }
    const url = normalizePlatformUrl(m.platformUrl);
    if (url) {
      const seen = byUrl.get(url);
      byUrl.set(url, seen ? later(seen, m) : m);
    }
  }
  const out = new Map<string, AnalyticsValues>();
  for (const t of targets) {
    const url = normalizePlatformUrl(t.platformUrl);
    const hit = (t.videoId ? byId.get(t.videoId) : undefined) ?? (url ? byUrl.get(url) : undefined);
    if (hit && Object.keys(hit.values).length > 0) out.set(t.rowId, { ...hit.values });
  }
  return out;
}

/** Targets worth a look-up: those with a video id or a platform URL. */
export function lookupTargets(targets: readonly AnalyticsTarget[]): AnalyticsTarget[] {
  return targets.filter((t) => Boolean(t.videoId?.trim()) || normalizePlatformUrl(t.platformUrl) !== null);
}

/** How the fallback reads analytics when the export is refused: which accounts to list, which videos to ask. */
export interface FallbackPlan {
  /** Saved accounts whose video list is read (one call each, more for > 100 videos). */
  accounts: string[];
  /** The video ids of the targets of each listed account (asked one by one if the list is refused). */
  idsOfAccount: Record<string, string[]>;
  /** Videos asked one by one. */
  videoIds: string[];
  /** Calls the plan is expected to need (1 per account listed). */
  estimatedCalls: number;
  /** What the two whole paths would cost, for the record: per video only, per account where possible. */
  perVideoCalls: number;
  perAccountCalls: number;
  /** Targets no path can reach: a platform URL only, and no saved account to list. */
  unreachable: number;
}

/**
 * Chooses, account by account, the cheaper read: listing the account's videos costs about 1 call whatever
 * their number; asking each video costs 1 call per video id. Listing wins when the account has 2 or more
 * targets, or a target known only by its URL; on a tie (1 video) the per-video call is chosen because it
 * never pages. Targets without a saved account can only be asked per video. The result never needs more
 * calls than either whole path (all per video, or per account wherever there is one).
 */
export function planFallback(targets: readonly AnalyticsTarget[]): FallbackPlan {
  const groups = new Map<string, { ids: Set<string>; urlOnly: number }>();
  const loose = new Set<string>();
  let unreachable = 0;
  for (const t of lookupTargets(targets)) {
    const id = t.videoId?.trim() || null;
    const account = t.savedAccountId?.trim() || null;
    if (!account) {
      if (id) loose.add(id);
      else unreachable++;
      continue;
    }
    const g = groups.get(account) ?? { ids: new Set<string>(), urlOnly: 0 };
    if (id) g.ids.add(id);
    else g.urlOnly++;
    groups.set(account, g);
  }
  const accounts: string[] = [];
  const idsOfAccount: Record<string, string[]> = {};
  const listed = new Set<string>();
  const single = new Set<string>();
  for (const [account, g] of groups) {
    if (g.urlOnly > 0 || g.ids.size > 1) {
      accounts.push(account);
      idsOfAccount[account] = [...g.ids];
      for (const id of g.ids) listed.add(id);
    } else for (const id of g.ids) single.add(id);
  }
  const videoIds = [...new Set([...single, ...loose])].filter((id) => !listed.has(id));
  const allIds = new Set([...loose, ...[...groups.values()].flatMap((g) => [...g.ids])]);
  return {
    accounts,
    idsOfAccount,
    videoIds,
    estimatedCalls: accounts.length + videoIds.length,
    perVideoCalls: allIds.size,
    perAccountCalls: groups.size + loose.size,
    unreachable,
  };
}
