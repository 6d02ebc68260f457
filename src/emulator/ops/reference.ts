import type { OpTable } from "../context.ts";

export const referenceOps: OpTable = {};
