/**
 * A config that cannot be used. Its message is one line per problem, each naming the file and the field
 * (`tokportal-sync.json: source.videos: expected a file path (string), got 3`), so the CLI prints it as
 * is and exits 2.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === "string" ? [problems] : [...problems];
    super(list.join("\n"));
    this.name = "ConfigError";
    this.problems = list;
  }
}
