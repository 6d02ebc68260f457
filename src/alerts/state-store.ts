/**
 * Each campaign's alert state, kept under `<state dir>/alerts/<campaign>.json` so a restart does not send
 * again what was already sent. Written whole and atomically (a crash leaves the old file or the new one);
 * a file that does not read as a state is taken as empty (at worst, open conditions are sent once more).
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { type AlertState, emptyState } from "./conditions.ts";

export const ALERTS_DIR = "alerts";

export class AlertStateStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, ALERTS_DIR);
  }

  fileOf(campaign: string): string {
    return path.join(this.dir, `${campaign}.json`);
  }

  async load(campaign: string): Promise<AlertState> {
    try {
      const value: unknown = JSON.parse(await readFile(this.fileOf(campaign), "utf8"));
      return isState(value) ? { ...emptyState(), ...value } : emptyState();
    } catch {
      return emptyState();
    }
  }

  async save(campaign: string, state: AlertState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.fileOf(campaign), `${JSON.stringify(state)}\n`);
  }
}

function isState(v: unknown): v is AlertState {
  const s = v as Partial<AlertState> | null;
  return typeof s === "object" && s !== null && s.v === 1 && typeof s.open === "object" && s.open !== null;
}
