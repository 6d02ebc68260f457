/**
 * Whether a stream takes colours: a terminal, `NO_COLOR` unset or empty (no-color.org), `TERM` not `dumb`.
 * `FORCE_COLOR` (anything but `0`) turns them on where there is no terminal, as in most Node tools; a
 * set `NO_COLOR` still wins.
 */
import pc from "picocolors";

export type Env = Record<string, string | undefined>;

export function colorEnabled(stream: { isTTY?: boolean }, env: Env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return !!stream.isTTY && env.TERM !== "dumb";
}

export type Palette = ReturnType<typeof pc.createColors>;

/** Colour functions that colour when asked to, whatever picocolors guessed from the process. */
export function palette(color: boolean): Palette {
  return pc.createColors(color);
}
