/** "1 slot", "2 slots": a count with its noun, in the messages and tables users read. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
