import type { OpTable } from "../context.ts";

export const analyticsOps: OpTable = {};
