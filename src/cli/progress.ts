/**
 * The progress bar `sync` draws on stderr while it applies: only on a terminal, and never with `--json`
 * (a machine reads that run's output). Elsewhere nothing at all, not even a final line, so logs and pipes
 * stay clean.
 */
import cliProgress from "cli-progress";
import type { ApplyOptions } from "../sync/apply.ts";

type ProgressEvent = Parameters<NonNullable<ApplyOptions["onProgress"]>>[0];

export interface Progress {
  onProgress(e: ProgressEvent): void;
  /** Removes the bar (before the summary or an error is printed). Safe to call more than once. */
  stop(): void;
}

/** A bar on `stream`, started on the first step that finishes (after any question was answered). */
export function progressBar(stream: NodeJS.WritableStream, options: { color: boolean }): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ` applying {bar} {value}/{total} steps{failed} | {duration_formatted}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      fps: 10,
      barCompleteChar: options.color ? "█" : "#",
      barIncompleteChar: options.color ? "░" : "-",
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  let failed = 0;
  return {
    onProgress(e) {
      if (stopped) return;
      if (e.status === "failed") failed += 1;
      const payload = { failed: failed > 0 ? `, ${failed} failed` : "" };
      if (!started) {
        bar.start(e.total, e.done, payload);
        started = true;
      } else {
        bar.setTotal(e.total);
        bar.update(e.done, payload);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (started) bar.stop();
    },
  };
}

/** The bar when the run's stderr is a terminal and its output is for people; else null. */
export function progressFor(
  io: { stderr: NodeJS.WritableStream; stderrTTY?: boolean; stderrColor?: boolean },
  json: boolean,
): Progress | null {
  if (json || !io.stderrTTY) return null;
  return progressBar(io.stderr, { color: !!io.stderrColor });
}
