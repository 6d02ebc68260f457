import type { OpTable } from "../context.ts";

export const webhookOps: OpTable = {};
