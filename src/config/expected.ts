import { describeValue } from "./describe.ts";

/** An error function for a field: `expected <what>, got <value>`, or `missing; expected <what>`. */
export function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined
      ? `missing; expected ${what}`
      : `expected ${what}, got ${describeValue(issue.input)}`;
}
