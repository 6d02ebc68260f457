import type { OpTable } from "../context.ts";

export const bundleOps: OpTable = {};
