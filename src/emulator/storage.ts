/**
 * The emulator's media storage: uploaded bytes live in `state.uploads` (base64), so `--state FILE` restores
 * them, and are served back at `${origin}/__emulator/storage/<storage_path>` as a CDN would.
 *
 * The HTTP core routes two non-API paths here:
 *   GET /__emulator/storage/<storage_path>  → readStoredObject(state, storagePath)
 *   PUT /__emulator/uploads/<token>         → receiveBody(body), then receivePresignedUpload(state, token, …)
 *
 * A presigned upload is read as it arrives (size and SHA-256 counted on the way); its bytes are kept only
 * up to KEPT_UPLOAD_BYTES_MAX, so a video of hundreds of megabytes never sits in the sandbox's memory or
 * state file. Such an upload is complete (size and hash recorded) but is not served back.
 */
import { createHash } from "node:crypto";
import { ApiError } from "./context.ts";
import type { EmulatorState, UploadRecord } from "./model.ts";

export const STORAGE_ROUTE = "/__emulator/storage/";
export const UPLOAD_ROUTE = "/__emulator/uploads/";

/** Presigned uploads larger than this are counted and hashed but their bytes are not kept. */
export const KEPT_UPLOAD_BYTES_MAX = 16 * 1024 * 1024;

/** A request body as received: its size, its SHA-256 (hex), and its bytes when small enough to keep. */
export interface ReceivedBody {
  size: number;
  sha256: string;
  bytes: Uint8Array | null;
}

/** Reads a body chunk by chunk, keeping its bytes only while they stay within KEPT_UPLOAD_BYTES_MAX. */
export async function receiveBody(body: AsyncIterable<Uint8Array> | null): Promise<ReceivedBody> {
  const hash = createHash("sha256");
  let size = 0;
  let chunks: Uint8Array[] | null = [];
  for await (const chunk of body ?? []) {
    hash.update(chunk);
    size += chunk.byteLength;
    if (chunks && size > KEPT_UPLOAD_BYTES_MAX) chunks = null;
    chunks?.push(chunk);
  }
  return { size, sha256: hash.digest("hex"), bytes: chunks ? Buffer.concat(chunks) : null };
}

export interface StoredObject {
  contentType: string;
  bytes: Uint8Array;
  filename: string;
}

/** The object at `storagePath`, or null when unknown, not yet uploaded, or stored without bytes. */
export function readStoredObject(state: EmulatorState, storagePath: string): StoredObject | null {
  const record = findByStoragePath(state, decodeStoragePath(storagePath));
  if (!record?.complete || record.data_base64 === null) return null;
  return {
    contentType: record.content_type,
    bytes: new Uint8Array(Buffer.from(record.data_base64, "base64")),
    filename: record.filename,
  };
}

export function findByStoragePath(state: EmulatorState, storagePath: string): UploadRecord | undefined {
  for (const record of Object.values(state.uploads)) if (record.storage_path === storagePath) return record;
  return undefined;
}

/** The public URL of a storage path under this emulator's origin (each segment percent-encoded). */
export function publicUrlFor(origin: string, storagePath: string): string {
  return `${origin}${STORAGE_ROUTE}${storagePath.split("/").map(encodeURIComponent).join("/")}`;
}

/** The storage path a public URL of this emulator points at, or null for any other URL. */
export function storagePathFromUrl(origin: string, url: string): string | null {
  let parsed: URL;
  let base: URL;
  try {
    parsed = new URL(url);
    base = new URL(origin);
  } catch {
    return null;
  }
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(STORAGE_ROUTE)) return null;
  return decodeStoragePath(parsed.pathname.slice(STORAGE_ROUTE.length));
}

function decodeStoragePath(path: string): string {
  try {
    return path.split("/").map(decodeURIComponent).join("/");
  } catch {
    return path;
  }
}

/**
 * Completes a presigned upload: the bytes of `PUT /__emulator/uploads/<token>`. Single use, bound to the
 * Content-Type announced when the URL was issued, and expiring on the simulated clock. Throws ApiError,
 * which the core answers in TokPortal's error envelope.
 */
export function receivePresignedUpload(
  state: EmulatorState,
  token: string,
  contentType: string | undefined,
  body: ReceivedBody,
  nowMs: number,
): UploadRecord {
  const record = Object.values(state.uploads).find((r) => r.upload_token === token);
  if (!record) throw new ApiError(404, "UPLOAD_NOT_FOUND", "Unknown upload URL.");
  if (record.complete)
    throw new ApiError(409, "UPLOAD_ALREADY_COMPLETED", "This upload URL was already used.");
  if (record.upload_expires_at && Date.parse(record.upload_expires_at) <= nowMs) {
    throw new ApiError(403, "UPLOAD_URL_EXPIRED", "This upload URL has expired; request a new one.");
  }
  const sent = normalizeType(contentType ?? "");
  if (sent !== normalizeType(record.content_type)) {
    throw new ApiError(
      400,
      "CONTENT_TYPE_MISMATCH",
      "The Content-Type must match the one the upload URL was issued for.",
      {
        expected: record.content_type,
        received: sent || null,
      },
    );
  }
  if (body.size === 0)
    throw new ApiError(400, "VALIDATION_ERROR", "The uploaded file is empty.", { field: "file" });
  record.data_base64 = body.bytes ? Buffer.from(body.bytes).toString("base64") : null;
  record.size_bytes = body.size;
  record.sha256 = body.sha256;
  record.complete = true;
  // The token stays on the record, so a second PUT is told the URL was used rather than unknown.
  return record;
}

/** `image/JPG; charset=x` → `image/jpeg`: the bare, lower-case type, with the common jpg alias folded. */
function normalizeType(value: string): string {
  const bare = value.split(";")[0]?.trim().toLowerCase() ?? "";
  return bare === "image/jpg" ? "image/jpeg" : bare;
}
