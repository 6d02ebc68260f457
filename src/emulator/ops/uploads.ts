import type { OpTable } from "../context.ts";

export const uploadOps: OpTable = {};
