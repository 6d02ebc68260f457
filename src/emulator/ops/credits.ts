import type { OpTable } from "../context.ts";

export const creditOps: OpTable = {};
