/** `--state FILE`: load at start, write atomically (debounced) after changes and on stop. */
import { existsSync, readFileSync } from "node:fs";
import writeFileAtomic from "write-file-atomic";
import type { EmulatorState } from "./model.ts";
import { STATE_VERSION } from "./state.ts";

/** The saved state, or undefined when the file does not exist yet. */
export function loadStateFile(path: string): EmulatorState | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`State file ${path} is not valid JSON (${(err as Error).message})`);
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version !== STATE_VERSION) {
    throw new Error(
      `State file ${path} has version ${JSON.stringify(version)}, but this emulator reads version ${STATE_VERSION}. ` +
        "Move the file away (or delete it) to start a fresh sandbox.",
    );
  }
  return parsed as EmulatorState;
}

export class StateWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly getState: () => EmulatorState,
    private readonly debounceMs = 200,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /** Schedules a write; bursts of changes produce one write. */
  touch(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes now (pending debounced write included) and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.write();
  }

  private write(): Promise<void> {
    // Serialize the snapshot now; chain the writes so an older snapshot never lands after a newer one.
    const json = JSON.stringify(this.getState());
    this.writing = this.writing.then(() =>
      writeFileAtomic(this.path, json).catch((err: Error) => this.onError(err)),
    );
    return this.writing;
  }
}
