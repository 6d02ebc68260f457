/** What bench/sync-offline-child.ts measures and bench/sync-offline.ts reports. */
export const STAGES = ["read", "type", "validate", "plan"] as const;
export type Stage = (typeof STAGES)[number];

/** One measured run of one size. */
export interface Measure {
  rows: number;
  seconds: Record<Stage, number>;
  total: number;
  /** User + system CPU seconds of the child over the four stages (GC threads included): steadier than the
   * wall time on a machine shared with other jobs. */
  cpu?: number;
  peakRssMb: number;
  ops: number;
  issues: number;
}
