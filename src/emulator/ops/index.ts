import type { OpTable } from "../context.ts";
import { accountOps } from "./account.ts";
import { savedAccountOps } from "./accounts.ts";
import { analyticsOps } from "./analytics.ts";
import { analyticsSeriesOps } from "./analytics-series.ts";
import { bundleOps } from "./bundles.ts";
import { creditOps } from "./credits.ts";
import { referenceOps } from "./reference.ts";
import { uploadOps } from "./uploads.ts";
import { videoOps } from "./videos.ts";
import { webhookOps } from "./webhooks.ts";

/** Every implemented operation by operationId; the rest of the spec answers 501 NOT_IMPLEMENTED. */
export const operations: OpTable = {
  ...referenceOps,
  ...creditOps,
  ...bundleOps,
  ...accountOps,
  ...videoOps,
  ...uploadOps,
  ...analyticsOps,
  ...analyticsSeriesOps,
  ...webhookOps,
  ...savedAccountOps,
};
