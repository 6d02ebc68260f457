/**
 * `config.schema.json`: the JSON Schema editors use to complete and check `tokportal-sync.json`, generated
 * from the zod schema so the two never disagree (`npm run gen:config-schema`; a test compares the file).
 */
import { z } from "zod";
import { configSchema } from "./schema.ts";

export const CONFIG_SCHEMA_FILE = "config.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  // "input": what a user writes (fields with defaults are optional), not what the loader returns.
  const schema = z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  return { ...schema, title: "tokportal-sync configuration" };
}

/** The file's exact text: 2-space JSON and a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
