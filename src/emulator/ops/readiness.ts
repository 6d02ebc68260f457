/** Whether a bundle can be published (docs/tokportal-api.md §8), as a list of blockers. Pure. */
import type { Bundle } from "../model.ts";

export interface Blocker {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

const ACCOUNT_FIELDS = ["username", "visible_name", "biography", "profile_picture_url"] as const;

export function publishBlockers(bundle: Bundle): Blocker[] {
  const blockers: Blocker[] = [];
  if (bundle.status !== "pending_setup") {
    const published = ["published", "published_priority", "accepted", "completed"].includes(bundle.status);
    blockers.push({
      code: published ? "BUNDLE_ALREADY_PUBLISHED" : "BUNDLE_INVALID_STATUS",
      message: published
        ? `Bundle is already ${bundle.status}.`
        : `A bundle with status '${bundle.status}' cannot be published.`,
      details: { current_status: bundle.status },
    });
  }
  if (bundle.bundle_type !== "videos_only" && bundle.account) {
    const account = bundle.account;
    const missing = ACCOUNT_FIELDS.filter((f) => !account[f]);
    if (missing.length > 0) {
      blockers.push({
        code: "ACCOUNT_MISSING_FIELDS",
        message: `Account profile incomplete: ${missing.join(", ")} missing.`,
        details: { fields: missing },
      });
    }
  }
  if (bundle.bundle_type !== "account_only") {
    const configured = bundle.videos.filter((v) => v.status === "configured").length;
    if (configured === 0) {
      blockers.push({
        code: "NO_VIDEOS_CONFIGURED",
        message: "At least 1 configured video is required.",
        details: { videos_configured: 0 },
      });
    }
  }
  return blockers;
}
