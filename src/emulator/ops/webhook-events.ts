/**
 * The webhook event catalog: the 30 types of TokPortal's SDKs (docs/tokportal-api.md §13). The vendored spec lists
 * only the first 13 (the ones this emulator emits, marked `emitted`); the others can be subscribed to
 * (`subscribable`) but nothing in the sandbox produces them.
 */

type Category = "webhook" | "bundle" | "account" | "video" | "warming" | "subscription" | "credits";

export interface WebhookEventInfo {
  type: string;
  category: Category;
  availability: "emitted" | "subscribable";
  description: string;
  when: string;
  payload_schema: Record<string, unknown>;
  example_payload: Record<string, unknown>;
}

const UUID = "9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c";
const SAVED = "5b1d8c70-2a4e-4f6b-9c3d-8e7f6a5b4c3d";
const VIDEO = "11111111-2222-4333-8444-555555555555";

const BUNDLE_FIELDS = {
  bundle_id: "uuid",
  status: "string",
  previous_status: "string|null",
  external_ref: "string|null",
};
const ACCOUNT_FIELDS = {
  bundle_id: "uuid",
  account_id: "uuid|null",
  saved_account_id: "uuid|null",
  username: "string|null",
  platform: "string",
  status: "string",
  previous_status: "string|null",
  external_ref: "string|null",
};
const VIDEO_FIELDS = {
  video_id: "uuid",
  bundle_id: "uuid",
  position: "integer",
  status: "string",
  previous_status: "string|null",
  platform_url: "string|null",
  external_ref: "string|null",
  bundle_external_ref: "string|null",
};

function schema(fields: Record<string, string>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(fields)) {
    const types = type.split("|").map((t) => (t === "uuid" ? "string" : t));
    properties[name] = {
      type: types.length === 1 ? types[0] : types,
      ...(type.startsWith("uuid") ? { format: "uuid" } : {}),
    };
  }
  return { type: "object", properties, additionalProperties: true };
}

/** A status change of a bundle, its account or a video slot: the events the emulator itself emits. */
function statusEvent(
  category: "bundle" | "account" | "video",
  type: string,
  status: string,
  when: string,
  emitted: boolean,
  example: Record<string, unknown>,
): WebhookEventInfo {
  const subject = { bundle: "A bundle", account: "A bundle's account", video: "A video slot" }[category];
  const fields = { bundle: BUNDLE_FIELDS, account: ACCOUNT_FIELDS, video: VIDEO_FIELDS }[category];
  return {
    type,
    category,
    availability: emitted ? "emitted" : "subscribable",
    description: `${subject} is ${status.replaceAll("_", " ")}.`,
    when,
    payload_schema: schema(fields),
    example_payload: example,
  };
}

function bundleEvent(
  type: string,
  status: string,
  previous: string | null,
  when: string,
  emitted: boolean,
): WebhookEventInfo {
  return statusEvent("bundle", type, status, when, emitted, {
    bundle_id: UUID,
    status,
    previous_status: previous,
    external_ref: "acme-spring-2026-us",
  });
}

function accountEvent(
  type: string,
  status: string,
  previous: string | null,
  when: string,
  emitted: boolean,
): WebhookEventInfo {
  return statusEvent("account", type, status, when, emitted, {
    bundle_id: UUID,
    account_id: UUID,
    saved_account_id: SAVED,
    username: "launchprofile",
    platform: "tiktok",
    status,
    previous_status: previous,
    external_ref: "acme-spring-2026-us",
  });
}

function videoEvent(type: string, status: string, previous: string, when: string): WebhookEventInfo {
  const posted = status === "in_review" || status === "finalized";
  return statusEvent("video", type, status, when, true, {
    video_id: VIDEO,
    bundle_id: UUID,
    position: 1,
    status,
    previous_status: previous,
    platform_url: posted ? "https://www.tiktok.com/@launchprofile/video/7400000000000000001" : null,
    external_ref: "acme-clip-01",
    bundle_external_ref: "acme-spring-2026-us",
  });
}

function otherEvent(
  type: string,
  category: Category,
  description: string,
  fields: Record<string, string>,
): WebhookEventInfo {
  const example: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(fields)) {
    example[name] = t.startsWith("uuid")
      ? SAVED
      : t.startsWith("integer")
        ? 1
        : t.startsWith("boolean")
          ? true
          : name;
  }
  return {
    type,
    category,
    availability: "subscribable",
    description,
    when: description,
    payload_schema: schema(fields),
    example_payload: example,
  };
}

export const WEBHOOK_EVENTS: readonly WebhookEventInfo[] = [
  {
    type: "webhook.test",
    category: "webhook",
    availability: "emitted",
    description: "A test delivery.",
    when: "POST /webhooks/{id}/test is called.",
    payload_schema: schema({ webhook_id: "uuid", message: "string" }),
    example_payload: { webhook_id: SAVED, message: "This is a test event from TokPortal." },
  },
  bundleEvent(
    "bundle.created",
    "pending_setup",
    null,
    "A bundle is created (POST /bundles or /bundles/bulk).",
    true,
  ),
  bundleEvent(
    "bundle.published",
    "published",
    "pending_setup",
    "A bundle is published to the account managers.",
    true,
  ),
  bundleEvent(
    "bundle.cancelled",
    "cancelled",
    "accepted",
    "A bundle is cancelled, typically after a validated ban.",
    false,
  ),
  bundleEvent("bundle.archived", "archived", "completed", "A bundle is archived from the dashboard.", false),
  accountEvent("account.configured", "configured", "pending", "The account profile is configured.", true),
  accountEvent(
    "account.published",
    "published",
    "configured",
    "The bundle is published and the account goes to a manager.",
    true,
  ),
  accountEvent(
    "account.in_review",
    "in_review",
    "published",
    "The manager delivered the account; saved_account_id is set.",
    true,
  ),
  accountEvent(
    "account.pending_corrections",
    "pending_corrections",
    "in_review",
    "Corrections were requested on the account.",
    true,
  ),
  accountEvent(
    "account.finalized",
    "finalized",
    "in_review",
    "The account was finalized (by the client or after 72 h).",
    true,
  ),
  accountEvent(
    "account.remade",
    "in_review",
    "finalized",
    "A banned account was remade; a new saved_account_id is issued.",
    false,
  ),
  {
    ...accountEvent("account.banned", "banned", "finalized", "The platform banned the account.", false),
    payload_schema: schema({
      bundle_id: "uuid",
      saved_account_id: "uuid",
      username: "string",
      platform: "string",
      reason: "string|null",
      appeal_status: "string|null",
      banned_at: "string",
    }),
    example_payload: {
      bundle_id: UUID,
      saved_account_id: SAVED,
      username: "launchprofile",
      platform: "tiktok",
      reason: "community_guidelines",
      appeal_status: "appeal_pending",
      banned_at: "2026-06-01T12:00:00.000Z",
    },
  },
  otherEvent("account.ban_appeal.submitted", "account", "A ban appeal was submitted.", {
    saved_account_id: "uuid",
    bundle_id: "uuid",
    appeal_status: "string",
  }),
  otherEvent("account.ban_appeal.resolved", "account", "A ban appeal was resolved.", {
    saved_account_id: "uuid",
    bundle_id: "uuid",
    appeal_status: "string",
  }),
  otherEvent(
    "account.ban_resolution.decided",
    "account",
    "A ban resolution (refund, remake, no remake) was decided.",
    {
      saved_account_id: "uuid",
      bundle_id: "uuid",
      resolution: "string",
      refund_credits: "integer|null",
    },
  ),
  otherEvent("account.revealed", "account", "Account credentials were revealed.", {
    saved_account_id: "uuid",
    bundle_id: "uuid",
  }),
  videoEvent("video.configured", "configured", "pending", "A video slot is configured."),
  videoEvent(
    "video.in_review",
    "in_review",
    "accepted",
    "The manager posted the video; platform_url is known.",
  ),
  videoEvent("video.published", "published", "configured", "A video is released to the account manager."),
  videoEvent(
    "video.pending_corrections",
    "pending_corrections",
    "in_review",
    "Corrections were requested on a posted video.",
  ),
  videoEvent(
    "video.finalized",
    "finalized",
    "in_review",
    "A posted video was finalized (auto, by the client, or after 72 h).",
  ),
  otherEvent("warming.session_started", "warming", "An advanced warming session started.", {
    session_id: "uuid",
    saved_account_id: "uuid",
    bundle_id: "uuid",
  }),
  otherEvent("warming.term_verified", "warming", "A warming term was verified.", {
    session_id: "uuid",
    term: "string",
    bundle_id: "uuid",
  }),
  otherEvent("warming.session_completed", "warming", "An advanced warming session completed.", {
    session_id: "uuid",
    saved_account_id: "uuid",
    bundle_id: "uuid",
  }),
  otherEvent("subscription.renewed", "subscription", "A Coverage subscription renewed.", {
    saved_account_id: "uuid",
    credits_charged: "integer",
  }),
  otherEvent("subscription.lapsed", "subscription", "A Coverage subscription lapsed for lack of credits.", {
    saved_account_id: "uuid",
  }),
  otherEvent("subscription.cancelled", "subscription", "A Coverage subscription was cancelled.", {
    saved_account_id: "uuid",
  }),
  otherEvent("subscription.reactivated", "subscription", "A Coverage subscription was reactivated.", {
    saved_account_id: "uuid",
  }),
  otherEvent("subscription.ended", "subscription", "A Coverage subscription ended.", {
    saved_account_id: "uuid",
  }),
  otherEvent("credits.restored", "credits", "Credits were restored to the workspace.", {
    amount: "integer",
    reason: "string",
  }),
];

export const WEBHOOK_EVENT_TYPES: ReadonlySet<string> = new Set(WEBHOOK_EVENTS.map((e) => e.type));
