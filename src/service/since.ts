/**
 * `--since` and `/runs?since=`: a date (`2026-05-01`, read as UTC midnight), a date and time in ISO 8601,
 * or a duration back from now (`30m`, `24h`, `7d`, `2w`). Pure.
 */
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The instant (ms) the text names, or null when it names none. */
export function parseSince(text: string, now: number): number | null {
  const t = text.trim();
  const duration = /^(\d{1,6})\s*([mhdw])$/i.exec(t);
  if (duration) return now - Number(duration[1]) * (UNIT_MS[duration[2]!.toLowerCase()] ?? 0);
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const at = Date.parse(`${t}T00:00:00Z`);
    return Number.isFinite(at) ? at : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const at = Date.parse(t);
    return Number.isFinite(at) ? at : null;
  }
  return null;
}
