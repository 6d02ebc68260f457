/** "1 slot", "2 slots": a count with its noun, in the messages and tables users read. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The parts as one flat string, for text kept per row for the whole run (ids, fingerprints, messages): a
 * template or `+` makes a tree of its parts, a dozen small objects more per row, where a join makes one.
 */
export function flatText(...parts: string[]): string {
  return parts.join("");
}
