/**
 * What a media cell points at: a URL (sent as is), a TokPortal storage path (images only, sent as is), or a
 * local file (uploaded during apply). Checking that a local file exists is the one I/O of the desired
 * state: a typo in a path must be a row error before any call, not a failed upload halfway through a run.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MediaValue } from "./types.ts";

export type MediaKind = "video" | "image";

/** A cell that is neither: the text as written, and the folder a local file was looked for in. */
export type MediaResult = { ok: true; value: MediaValue } | { ok: false; value: string; looked: string };

const HTTP_URL = /^https?:\/\//i;
const FILE_URL = /^file:\/\//i;
/** `scheme:` at the start (a URL of some other kind, or a Windows drive letter): never a storage path. */
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** A regular file's size and modification time, or null when nothing (or something other than a file) is there. */
function fileStat(absolute: string): { size: number; mtimeMs: number } | null {
  try {
    const st = statSync(absolute, { throwIfNoEntry: false });
    return st?.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : null;
  } catch {
    // Permission denied, a path too long, a NUL in the cell: all mean "not a file we can upload".
    return null;
  }
}

/**
 * A storage path as TokPortal's image uploads return it (`carousel-images/org_1/<bundle>/photo.jpg`):
 * relative, at least one `/`, no `..` segment, no scheme.
 */
export function looksLikeStoragePath(cell: string): boolean {
  // `~/…` is a home-relative path someone expected a shell to expand, never a bucket name.
  if (HAS_SCHEME.test(cell) || /^[/\\~]/.test(cell)) return false;
  if (!cell.includes("/")) return false;
  const segments = cell.split("/");
  return segments.every((s) => s !== "" && s !== "." && s !== "..") && !/\s/.test(cell);
}

/**
 * `media/photo.jpg` when `media/` is a local directory is a local path with a typo (or a file not copied
 * yet), not a storage path: sending it to TokPortal would fail later and less clearly.
 */
function startsLocally(cell: string, baseDir: string): boolean {
  const first = cell.split("/")[0] ?? "";
  try {
    return statSync(path.resolve(baseDir, first), { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/**
 * Classifies one media cell. Relative paths are resolved against `baseDir` (the sheet's directory, or the
 * config's); `~` is not expanded (a shell would, a sheet does not).
 */
export function classifyMedia(cell: string, baseDir: string, kind: MediaKind): MediaResult {
  const text = cell.trim();
  if (HTTP_URL.test(text)) return { ok: true, value: { kind: "url", value: text } };
  let absolute: string | null = null;
  if (FILE_URL.test(text)) {
    try {
      absolute = fileURLToPath(text);
    } catch {
      absolute = null;
    }
  } else if (text !== "") {
    absolute = path.resolve(baseDir, text);
  }
  if (absolute !== null) {
    const st = fileStat(absolute);
    if (st !== null) {
      return { ok: true, value: { kind: "file", path: absolute, sizeBytes: st.size, mtimeMs: st.mtimeMs } };
    }
  }
  if (
    kind === "image" &&
    !FILE_URL.test(text) &&
    looksLikeStoragePath(text) &&
    !startsLocally(text, baseDir)
  ) {
    return { ok: true, value: { kind: "storage", value: text } };
  }
  const dir = absolute === null ? path.resolve(baseDir) : path.dirname(absolute);
  return { ok: false, value: text, looked: dir };
}

/** What says a local file was replaced without reading it: its size and modification time. */
export interface FileIdentity {
  sizeBytes: number;
  mtimeMs: number;
}

/**
 * The identities of the local files among `values`, in order, for a fingerprint: a file replaced at the same
 * path (the cell unchanged) must change what the row's fingerprint says. Undefined when none is a local
 * file, so that a row without local files keeps the fingerprint it has always had.
 */
export function fileIdentities(values: readonly (MediaValue | undefined)[]): FileIdentity[] | undefined {
  const files: FileIdentity[] = [];
  for (const v of values) {
    if (v?.kind === "file") files.push({ sizeBytes: v.sizeBytes, mtimeMs: v.mtimeMs });
  }
  return files.length > 0 ? files : undefined;
}
