import type { OpTable } from "../context.ts";

export const accountOps: OpTable = {};
