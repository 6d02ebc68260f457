/** The step of each op kind (typed over every kind: a kind without a step fails typecheck). */

import type { OpKind } from "../types.ts";
import { addEditSlots, addVideoSlots } from "./add-slots.ts";
import { configureAccount } from "./configure-account.ts";
import { configureVideos } from "./configure-videos.ts";
import { createBundle } from "./create-bundle.ts";
import { finalizeAccount } from "./finalize-account.ts";
import { finalizeVideo } from "./finalize-video.ts";
import { fixDownload } from "./fix-download.ts";
import { patchBundle } from "./patch-bundle.ts";
import { patchVideo } from "./patch-video.ts";
import { publishBundle } from "./publish-bundle.ts";
import { publishVideos } from "./publish-videos.ts";
import { requestAccountCorrections } from "./request-account-corrections.ts";
import { requestVideoCorrections } from "./request-video-corrections.ts";
import type { OpOf, Step, StepRegistry } from "./step.ts";
import { unpublishBundle } from "./unpublish-bundle.ts";
import { unscheduleVideo } from "./unschedule-video.ts";

export const STEPS: StepRegistry = {
  createBundle,
  addVideoSlots,
  addEditSlots,
  patchBundle,
  configureAccount,
  configureVideos,
  patchVideo,
  publishBundle,
  publishVideos,
  unscheduleVideo,
  finalizeVideo,
  requestVideoCorrections,
  finalizeAccount,
  requestAccountCorrections,
  fixDownload,
  unpublishBundle,
};

/** The step of an op, typed to take that op. */
export function stepOf<K extends OpKind>(op: OpOf<K>): Step<K> {
  return STEPS[op.kind as K] as Step<K>;
}

export { hasLocalMedia } from "./configure-videos.ts";
export { initiallyConfigured } from "./settle.ts";
export type * from "./step.ts";
export { HandledFailure } from "./step.ts";
