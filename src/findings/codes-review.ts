/**
 * Codes of the review loop (a posted video or a delivered account waiting for the client's verdict), of
 * media TokPortal could not download, and of pulling published work back. Found in the sheet, by the
 * planner, or from TokPortal's answers.
 */
import { code } from "./entry.ts";

type What = "video" | "account";

function subject(what: What): string {
  return what === "video" ? "the video" : "the account";
}

function column(what: What): string {
  return what === "video" ? "review" : "account_review";
}

export const REVIEW_CODES = {
  // ——— In the sheet ———
  review_note_missing: code<{ what: What }>({
    status: "error",
    meaning: "A `changes` verdict has no note: TokPortal needs a comment to send the work back.",
    fix: "Write what should change in the note column, or set the verdict to approve.",
    text: (p) =>
      `${column(p.what)} is changes but the note is empty; write what should change (up to 2000 characters)`,
  }),
  review_field_unknown: code<{ value: string; allowed: readonly string[] }>({
    status: "error",
    meaning: "The review fields name something TokPortal's correction request does not know.",
    fix: "Use only the fields listed, separated by ;.",
    text: (p) => `"${p.value}" is not a field a correction can name; use ${p.allowed.join(", ")}`,
  }),

  // ——— Against TokPortal ———
  review_waits: code<{ what: What; action: string; status: string }>({
    status: "info",
    meaning: "A verdict is written but TokPortal has not submitted the work for review yet: it is kept.",
    fix: "Nothing: it is sent once the work is in review.",
    text: (p) =>
      `${column(p.what)}=${p.action} waits: ${subject(p.what)} is ${p.status}, not in review yet; it is sent once TokPortal submits it`,
  }),
  review_too_late: code<{ what: What; status: string }>({
    status: "info",
    meaning: "The work was finalized (by you, or by TokPortal after 72 h): a verdict has nothing left to do.",
    fix: "Clear the verdict, or leave it.",
    text: (p) => `${subject(p.what)} is already ${p.status}: ${column(p.what)} has nothing left to do`,
  }),
  corrections_requested: code<{ what: What; at: string }>({
    status: "info",
    meaning: "The correction note was sent; TokPortal's team is working on it.",
    fix: "Nothing: the work comes back in review.",
    text: (p) =>
      `corrections asked${p.at ? ` on ${p.at}` : ""}: waiting for TokPortal's team to submit ${subject(p.what)} again`,
  }),
  corrections_resubmitted: code<{ what: What }>({
    status: "info",
    meaning: "TokPortal submitted the work again after your note; the same note is never sent twice.",
    fix: "Set the verdict to approve, or write a new note to ask again.",
    text: (p) =>
      `${subject(p.what)} is back in review after your note; set ${column(p.what)} to approve, or write a new note to ask again`,
  }),
  no_account_to_review: code<{ bundleType: string }>({
    status: "info",
    meaning:
      "The bundle has no account of its own to review (a videos_only bundle posts from a saved account).",
    fix: "Clear account_review.",
    text: (p) => `a ${p.bundleType} bundle has no account of its own to review; account_review is ignored`,
  }),
  download_issue: code<{ comment: string }>({
    status: "info",
    meaning: "TokPortal could not download the video's media; its comment says why.",
    fix: "Put a new video_url (or carousel_images) in the row: the next sync sends it and TokPortal reschedules the video for tomorrow.",
    text: (p) =>
      `TokPortal could not download the media${p.comment ? ` (${p.comment})` : ""}; put a new video_url or carousel_images in the row and sync`,
  }),
  download_fix_keeps: code<{ columns: readonly string[] }>({
    status: "info",
    meaning:
      "The row's media changed together with other columns while TokPortal could not download its video: the new media is sent (and the description or name, by a video PATCH), but the columns named are not: a released video no longer takes them, and TokPortal picks a fixed video's date.",
    fix: "Nothing for the media. TokPortal keeps the columns named as it has them: a new video row can carry other values.",
    text: (p) => {
      const one = p.columns.length === 1;
      return `${p.columns.join(", ")} changed too but ${one ? "is" : "are"} not sent with the new media (a video TokPortal could not download takes only its media, description and name, and TokPortal picks its date): TokPortal keeps ${one ? "it" : "them"} as it has ${one ? "it" : "them"}.`;
    },
  }),
  pull_back_too_late: code<{ what: "video" | "bundle"; status: string }>({
    status: "info",
    meaning: "publish is no, but TokPortal's team already took the work: it can no longer be pulled back.",
    fix: "Nothing can be done from the sheet; ask TokPortal support.",
    text: (p) =>
      `publish is no, but ${p.what === "video" ? "the video" : "the bundle"} is already ${p.status} and can no longer be pulled back`,
  }),

  // ——— TokPortal's answers ———
  download_fixed: code<{ date: string }>({
    status: "info",
    meaning: "The new media was sent; TokPortal moves the video's date to tomorrow when it takes a fix.",
    fix: "Nothing: target_publish_date keeps what you wrote; the video is posted from TokPortal's new date.",
    text: (p) =>
      `new media sent; TokPortal moved the publish date to ${p.date || "tomorrow"} (the sheet's date is kept as you wrote it)`,
  }),
  unscheduled_reconfigure: code<{ position: number }>({
    status: "info",
    meaning: "The video was pulled back: its slot was cleared, and the next run configures it again.",
    fix: "Nothing: the next sync configures the row again (kept unreleased while publish is no).",
    text: (p) =>
      `publish=no: slot ${p.position} was unscheduled and cleared; the next sync configures the row again`,
  }),
  bundle_unpublished: code<Record<string, never>>({
    status: "info",
    meaning: "The bundle was pulled back to pending_setup; nothing was refunded.",
    fix: "Set publish to yes to publish it again.",
    text: () => "publish=no: the bundle was unpublished (back to pending_setup; nothing refunded)",
  }),
};
