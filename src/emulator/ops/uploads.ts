/**
 * Media uploads (docs/tokportal-api.md §9): direct multipart uploads, the presigned PUT flow, and images from a URL.
 * Bytes are kept in state and served back by the core at `public_url` (see ../storage.ts).
 */
import { randomBytes } from "node:crypto";
import { ApiError, type OpContext, type OpRequest, type OpTable, type UploadedFile } from "../context.ts";
import type { UploadRecord } from "../model.ts";
import { isUuid } from "../random.ts";
import { findByStoragePath, publicUrlFor, storagePathFromUrl, UPLOAD_ROUTE } from "../storage.ts";

type Purpose = "carousel" | "profile_picture";

/** How long a presigned upload URL stays valid, in simulated seconds. */
export const PRESIGNED_EXPIRES_IN_SECONDS = 900;

const IMAGE_TYPES = new Set([
  "image/jpeg",
  "image/jpg",
  "image/png",
  "image/webp",
  "image/gif",
  "image/heic",
  "image/heif",
]);
const EXTENSION_TYPES: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/x-m4v",
  mov: "video/quicktime",
  webm: "video/webm",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
};

export const uploadOps: OpTable = {
  uploadVideoDirect(req, ctx) {
    const { bundleId, file } = multipartUpload(req, ctx);
    const contentType = mediaType(file, "video");
    const record = store(ctx, {
      kind: "video",
      bundleId,
      purpose: null,
      filename: file.filename,
      contentType,
    });
    complete(record, file.bytes);
    return {
      body: {
        data: {
          public_url: publicUrlFor(ctx.origin, record.storage_path),
          filename: record.filename,
          size_bytes: record.size_bytes,
          content_type: record.content_type,
        },
      },
    };
  },

  uploadImageDirect(req, ctx) {
    const { bundleId, file, fields } = multipartUpload(req, ctx);
    const purpose = parsePurpose(fields.purpose);
    const contentType = mediaType(file, "image");
    const record = store(ctx, { kind: "image", bundleId, purpose, filename: file.filename, contentType });
    complete(record, file.bytes);
    return { body: { data: imageAnswer(ctx, record) } };
  },

  uploadVideo(req, ctx) {
    const body = req.body as { filename: string; content_type?: string; bundle_id: string };
    ctx.bundle(body.bundle_id);
    const contentType = (body.content_type ?? "video/mp4").toLowerCase();
    if (!contentType.startsWith("video/")) {
      throw new ApiError(400, "VALIDATION_ERROR", "content_type must be a video MIME type, e.g. video/mp4.", {
        field: "content_type",
      });
    }
    const record = store(ctx, {
      kind: "video",
      bundleId: body.bundle_id,
      purpose: null,
      filename: body.filename,
      contentType,
    });
    return { body: { data: presignedAnswer(ctx, record) } };
  },

  uploadImage(req, ctx) {
    const body = req.body as { filename: string; content_type: string; bundle_id: string; purpose?: string };
    ctx.bundle(body.bundle_id);
    const record = store(ctx, {
      kind: "image",
      bundleId: body.bundle_id,
      purpose: parsePurpose(body.purpose),
      filename: body.filename,
      // image/jpg is accepted on input but is not a registered type; the stored object says image/jpeg.
      contentType:
        body.content_type.toLowerCase() === "image/jpg" ? "image/jpeg" : body.content_type.toLowerCase(),
    });
    return { body: { data: presignedAnswer(ctx, record) } };
  },

  uploadImageFromUrl(req, ctx) {
    const body = req.body as { url: string; bundle_id: string; purpose?: string };
    ctx.bundle(body.bundle_id);
    const purpose = parsePurpose(body.purpose);
    const own = storagePathFromUrl(ctx.origin, body.url);
    if (own !== null) {
      const source = findByStoragePath(ctx.state, own);
      if (!source?.complete || source.data_base64 === null) {
        throw new ApiError(400, "IMAGE_FETCH_FAILED", "The image URL did not return an image.", {
          field: "url",
        });
      }
      if (!source.content_type.startsWith("image/")) {
        throw new ApiError(400, "VALIDATION_ERROR", "The URL does not point to an image.", { field: "url" });
      }
      const record = store(ctx, {
        kind: "image",
        bundleId: body.bundle_id,
        purpose,
        filename: source.filename,
        contentType: source.content_type,
      });
      record.data_base64 = source.data_base64;
      record.size_bytes = source.size_bytes;
      record.complete = true;
      record.source_url = body.url;
      return { body: { data: { id: record.id, ...imageAnswer(ctx, record) } } };
    }
    // A sandbox must not reach the internet on a user's behalf: an image from any other origin is recorded
    // without its bytes (size unknown), so its storage_path is usable in configure calls but GET public_url
    // on it answers 404.
    const filename = filenameFromUrl(body.url);
    const record = store(ctx, {
      kind: "image",
      bundleId: body.bundle_id,
      purpose,
      filename,
      contentType: typeFromName(filename) ?? "image/jpeg",
    });
    record.complete = true;
    record.source_url = body.url;
    return {
      body: {
        data: {
          id: record.id,
          storage_path: record.storage_path,
          public_url: publicUrlFor(ctx.origin, record.storage_path),
          filename: record.filename,
          size_bytes: null,
          content_type: record.content_type,
        },
      },
    };
  },
};

function multipartUpload(
  req: OpRequest,
  ctx: OpContext,
): { bundleId: string; file: UploadedFile; fields: Record<string, unknown> } {
  const fields = (req.body ?? {}) as Record<string, unknown>;
  const file = req.files.file;
  if (!file)
    throw new ApiError(400, "VALIDATION_ERROR", "A multipart field `file` is required.", { field: "file" });
  const bundleId = typeof fields.bundle_id === "string" ? fields.bundle_id.trim() : "";
  if (!bundleId)
    throw new ApiError(400, "VALIDATION_ERROR", "bundle_id is required.", { field: "bundle_id" });
  if (!isUuid(bundleId))
    throw new ApiError(400, "VALIDATION_ERROR", "bundle_id must be a uuid.", { field: "bundle_id" });
  ctx.bundle(bundleId);
  if (file.bytes.byteLength === 0) {
    throw new ApiError(400, "VALIDATION_ERROR", "The uploaded file is empty.", { field: "file" });
  }
  return { bundleId, file, fields };
}

function parsePurpose(value: unknown): Purpose {
  if (value === undefined || value === null || value === "") return "carousel";
  if (value === "carousel" || value === "profile_picture") return value;
  throw new ApiError(400, "VALIDATION_ERROR", "purpose must be one of: carousel, profile_picture.", {
    field: "purpose",
    allowed: ["carousel", "profile_picture"],
  });
}

/** The file's media type, trusting the declared type and falling back to its extension. */
function mediaType(file: UploadedFile, kind: "video" | "image"): string {
  let declared = file.contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (declared === "" || declared === "application/octet-stream")
    declared = typeFromName(file.filename) ?? declared;
  if (declared === "image/jpg") declared = "image/jpeg";
  const ok = kind === "video" ? declared.startsWith("video/") : IMAGE_TYPES.has(declared);
  if (!ok) {
    throw new ApiError(
      400,
      "UNSUPPORTED_MEDIA_TYPE",
      `The file is not a supported ${kind} (${declared || "unknown type"}).`,
      {
        field: "file",
        content_type: declared || null,
      },
    );
  }
  return declared;
}

function typeFromName(filename: string): string | undefined {
  const ext = filename.toLowerCase().split(".").pop() ?? "";
  return EXTENSION_TYPES[ext];
}

function filenameFromUrl(url: string): string {
  try {
    const last = new URL(url).pathname.split("/").filter(Boolean).pop();
    return last ? decodeURIComponent(last) : "image.jpg";
  } catch {
    return "image.jpg";
  }
}

interface NewUpload {
  kind: "video" | "image";
  bundleId: string;
  purpose: Purpose | null;
  filename: string;
  contentType: string;
}

/** Creates the upload record and its storage path; bytes arrive later (complete()) or never (from-url). */
function store(ctx: OpContext, upload: NewUpload): UploadRecord {
  const n = (ctx.state.counters.uploads ?? 0) + 1;
  ctx.state.counters.uploads = n;
  const folder =
    upload.kind === "video"
      ? "videos"
      : upload.purpose === "profile_picture"
        ? "profile-pictures"
        : "carousel-images";
  const record: UploadRecord = {
    id: ctx.newId(),
    workspaceId: ctx.workspace.id,
    kind: upload.kind,
    bundle_id: upload.bundleId,
    purpose: upload.purpose,
    filename: upload.filename,
    content_type: upload.contentType,
    size_bytes: 0,
    storage_path: `${folder}/${ctx.workspace.id}/${upload.bundleId}/${storedName(upload.filename, n)}`,
    complete: false,
    data_base64: null,
    created_at: ctx.clock.iso(),
  };
  ctx.state.uploads[record.id] = record;
  return record;
}

/** `My Clip (1).MP4`, 7 → `my-clip-1-000007.mp4`: unique, URL-safe, keeps the extension. */
function storedName(filename: string, n: number): string {
  const dot = filename.lastIndexOf(".");
  const stem = dot > 0 ? filename.slice(0, dot) : filename;
  const ext =
    dot > 0
      ? filename
          .slice(dot + 1)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, "")
      : "";
  const safe =
    stem
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "file";
  return `${safe}-${String(n).padStart(6, "0")}${ext ? `.${ext}` : ""}`;
}

function complete(record: UploadRecord, bytes: Uint8Array): void {
  record.data_base64 = Buffer.from(bytes).toString("base64");
  record.size_bytes = bytes.byteLength;
  record.complete = true;
}

function imageAnswer(ctx: OpContext, record: UploadRecord): Record<string, unknown> {
  return {
    public_url: publicUrlFor(ctx.origin, record.storage_path),
    storage_path: record.storage_path,
    filename: record.filename,
    size_bytes: record.size_bytes,
    content_type: record.content_type,
  };
}

function presignedAnswer(ctx: OpContext, record: UploadRecord): Record<string, unknown> {
  // The token is the URL's only credential, so it comes from the OS CSPRNG, not the seeded generator.
  const token = randomBytes(24).toString("hex");
  record.upload_token = token;
  record.upload_expires_at = new Date(ctx.clock.now() + PRESIGNED_EXPIRES_IN_SECONDS * 1000).toISOString();
  return {
    upload_url: `${ctx.origin}${UPLOAD_ROUTE}${token}`,
    method: "PUT",
    headers: { "Content-Type": record.content_type },
    public_url: publicUrlFor(ctx.origin, record.storage_path),
    storage_path: record.storage_path,
    filename: record.filename,
    content_type: record.content_type,
    expires_in: PRESIGNED_EXPIRES_IN_SECONDS,
    expires_at: record.upload_expires_at,
  };
}
