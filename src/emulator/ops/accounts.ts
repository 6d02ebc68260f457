import type { OpTable } from "../context.ts";

export const savedAccountOps: OpTable = {};
