import type { OpTable } from "../context.ts";

export const videoOps: OpTable = {};
