/**
 * Local media files named in the sheet, uploaded to TokPortal during apply (docs/tokportal-api.md §9).
 *
 * A file is hashed (SHA-256) and uploaded once per (content, purpose, bundle) in a run: rows that share a
 * file share one upload, even when they ask at the same moment (a Map of promises). Uploads are per
 * bundle because TokPortal stores media under the bundle (`<folder>/<workspace>/<bundle-id>/…`); the
 * sandbox accepts any storage path anywhere, but nothing says the real service does, so a path from one
 * bundle is never handed to another.
 *
 * Small files go in one multipart request with an Idempotency-Key derived from the hash (a retry or a
 * rerun replays it); larger ones take the presigned flow, which refuses keys (its answer holds a signed URL).
 * A video's `public_url` goes into `video_url`; an image's `storage_path` into `carousel_images` and
 * `profile_picture_url`.
 *
 * `carousel_images` take storage paths only, so a carousel image given as a URL is stored first with
 * `POST /upload/image/from-url` (TokPortal fetches it), once per (URL, bundle) in a run, under a key
 * derived from the URL: a retry or a rerun replays it. A video URL and a profile picture URL are sent as
 * they are (TokPortal takes a URL there).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { TokPortalClient } from "../api/client.ts";
import { TokPortalError } from "../api/errors.ts";
import { idempotencyKey } from "../api/idempotency.ts";
import { serverMessage } from "./apply-errors.ts";
import { fingerprintOf } from "./fingerprint.ts";
import type { MediaValue } from "./types.ts";

/** TokPortal's direct upload takes files up to this size in one request; above it, the presigned flow. */
export const DIRECT_UPLOAD_MAX_BYTES = 8 * 1024 * 1024;

export type UploadPurpose = "video" | "carousel" | "profile_picture";

const CONTENT_TYPES: Record<string, string> = {
  ".mp4": "video/mp4",
  ".mov": "video/quicktime",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".gif": "image/gif",
};

/** The media type of a file by its extension, or null when TokPortal does not take that kind. */
export function contentTypeOf(path: string): string | null {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? null;
}

/** A file that could not be uploaded; `cause` is the client's error when TokPortal was reached. */
export class UploadError extends Error {
  readonly file: string;

  constructor(file: string, reason: string, cause?: unknown) {
    super(`could not upload ${file}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = "UploadError";
    this.file = file;
  }
}

export interface MediaUploaderOptions {
  /** The campaign's ref prefix (part of every idempotency key). */
  prefix: string;
  /** Files larger than this take the presigned flow (default 8 MiB). */
  directMaxBytes?: number;
  signal?: AbortSignal;
  /**
   * Set once per run (the plan's timestamp): part of the key of an image stored from a URL. What is behind a
   * URL can change, and TokPortal keeps a refused answer under its key, so a key made of the URL alone
   * would replay an old storage path or an old refusal on every run; retries within a run still share it.
   */
  runSalt?: string;
}

export interface UploadStats {
  direct: number;
  presigned: number;
  /** Images stored from a URL. */
  fromUrl: number;
  /** Requests saved because the same content was already uploaded (or being uploaded) for that bundle. */
  shared: number;
}

export class MediaUploader {
  private readonly hashes = new Map<string, Promise<string>>();
  private readonly uploads = new Map<string, Promise<string>>();
  private readonly directMaxBytes: number;
  readonly stats: UploadStats = { direct: 0, presigned: 0, fromUrl: 0, shared: 0 };

  constructor(
    private readonly client: TokPortalClient,
    private readonly options: MediaUploaderOptions,
  ) {
    this.directMaxBytes = options.directMaxBytes ?? DIRECT_UPLOAD_MAX_BYTES;
  }

  /**
   * The value to send for a media cell: storage paths as they are, a local file uploaded first (for
   * `bundleId`; `bundleRef` names the row in the idempotency key), a URL as it is except a carousel image's,
   * which is stored from its URL first.
   */
  async resolve(
    media: MediaValue,
    purpose: UploadPurpose,
    bundleId: string,
    bundleRef: string,
  ): Promise<string> {
    if (media.kind === "url" && purpose === "carousel") return this.fromUrl(media.value, bundleId, bundleRef);
    if (media.kind !== "file") return media.value;
    const path = media.path;
    const name = basename(path);
    const contentType = contentTypeOf(path);
    if (contentType === null) {
      throw new UploadError(
        name,
        `TokPortal does not take ${extname(path) || "extension-less"} files; use mp4 or mov for videos, jpg, png, webp or gif for images`,
      );
    }
    const wantsVideo = purpose === "video";
    if (contentType.startsWith("video/") !== wantsVideo) {
      throw new UploadError(
        name,
        `it is not ${wantsVideo ? "a video (mp4, mov)" : "an image (jpg, png, webp, gif)"}`,
      );
    }
    const hash = await this.hashOf(path, name);
    const key = `${hash}|${purpose}|${bundleId}`;
    const existing = this.uploads.get(key);
    if (existing) {
      this.stats.shared++;
      return existing;
    }
    const upload = this.upload(path, name, contentType, hash, purpose, bundleId, bundleRef);
    this.uploads.set(key, upload);
    return upload;
  }

  /** An image stored from its URL, once per (URL, bundle) in a run. */
  private fromUrl(url: string, bundleId: string, bundleRef: string): Promise<string> {
    const key = `url:${url}|carousel|${bundleId}`;
    const existing = this.uploads.get(key);
    if (existing) {
      this.stats.shared++;
      return existing;
    }
    this.stats.fromUrl++;
    const options = {
      idempotencyKey: idempotencyKey({
        prefix: this.options.prefix,
        ref: bundleRef,
        operation: "uploadImageFromUrl:carousel",
        fingerprint: fingerprintOf([bundleId, url, "carousel", this.options.runSalt ?? ""]),
      }),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
    const upload = this.client.uploads
      .imageFromUrl({ url, bundle_id: bundleId, purpose: "carousel" }, options)
      .then(
        (image) => image.data.storage_path,
        (error: unknown) => {
          throw new UploadError(url, uploadFailure(error), error);
        },
      );
    this.uploads.set(key, upload);
    return upload;
  }

  private hashOf(path: string, name: string): Promise<string> {
    let pending = this.hashes.get(path);
    if (!pending) {
      pending = hashFile(path).catch((error: unknown) => {
        throw new UploadError(name, readFailure(error), error);
      });
      this.hashes.set(path, pending);
    }
    return pending;
  }

  private async upload(
    path: string,
    name: string,
    contentType: string,
    hash: string,
    purpose: UploadPurpose,
    bundleId: string,
    bundleRef: string,
  ): Promise<string> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw new UploadError(name, readFailure(error), error);
    }
    const signal = this.options.signal ? { signal: this.options.signal } : {};
    try {
      if (size <= this.directMaxBytes) {
        let data: Uint8Array;
        try {
          data = await readFile(path);
        } catch (error) {
          throw new UploadError(name, readFailure(error), error);
        }
        const file = { data, filename: name, contentType };
        this.stats.direct++;
        const idempotency = {
          idempotencyKey: idempotencyKey({
            prefix: this.options.prefix,
            ref: bundleRef,
            operation: purpose === "video" ? "uploadVideoDirect" : `uploadImageDirect:${purpose}`,
            fingerprint: fingerprintOf([bundleId, hash, purpose, name]),
          }),
          ...signal,
        };
        const uploads = this.client.uploads;
        if (purpose === "video")
          return (await uploads.videoDirect(bundleId, file, idempotency)).data.public_url;
        return (await uploads.imageDirect(bundleId, file, purpose, idempotency)).data.storage_path;
      }
      // Large files are read from disk as they are sent, once per attempt, never whole in memory.
      const file = { data: { size, open: () => createReadStream(path) }, filename: name, contentType };
      this.stats.presigned++;
      if (purpose === "video") return (await this.client.uploads.video(bundleId, file, signal)).public_url;
      return (await this.client.uploads.image(bundleId, file, purpose, signal)).storage_path;
    } catch (error) {
      if (error instanceof UploadError) throw error;
      throw new UploadError(name, uploadFailure(error), error);
    }
  }
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("error", reject)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")));
  });
}

function readFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT")
    return "the file does not exist; fix the path (relative paths start at the sheet's folder)";
  if (code === "EACCES" || code === "EPERM") return "the file cannot be read (permission denied)";
  if (code === "EISDIR") return "the path is a folder, not a file";
  return `the file cannot be read (${error instanceof Error ? error.message : String(error)})`;
}

function uploadFailure(error: unknown): string {
  if (error instanceof TokPortalError) {
    if (error.retryable) {
      const why =
        error.status !== null
          ? `HTTP ${error.status}`
          : error.code === "TIMEOUT"
            ? "timed out"
            : "network error";
      return `TokPortal did not answer (${why}); the next run retries`;
    }
    return `TokPortal says: ${serverMessage(error).replace(/\.$/, "")} (code ${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}
