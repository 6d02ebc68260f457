/**
 * The command line of the benches that compare with a checkout of the code before a change:
 * `[positional …] [--before <checkout>]`.
 */
import path from "node:path";
import { parseArgs } from "node:util";

export function beforeAndPositionals(argv: string[]): { before: string | null; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { before: { type: "string" } },
    allowPositionals: true,
  });
  return { before: values.before === undefined ? null : path.resolve(values.before), positionals };
}
