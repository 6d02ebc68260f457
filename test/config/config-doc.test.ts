/** docs/config.md is generated from the config schema: a field added to the schema shows up in the docs. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CONFIG_DOC_FILE, configDocText } from "../../src/config/docs.ts";

const file = fileURLToPath(new URL(`../../${CONFIG_DOC_FILE}`, import.meta.url));

describe("docs/config.md", () => {
  it("is what `npm run gen:config-schema` writes from the zod schema", () => {
    expect(readFileSync(file, "utf8"), "run `npm run gen:config-schema` and commit the file").toBe(
      configDocText(),
    );
  });

  it("documents every field, with its type and default", () => {
    const text = configDocText();
    for (const field of [
      "tokportal.base_url",
      "tokportal.concurrency",
      "source (csv).videos",
      "source (google_sheets).spreadsheet_id",
      "ref_prefix",
      "columns",
      "defaults.publish",
      "max_credits",
      "analytics",
      "schedule",
      "timezone",
    ]) {
      expect(text).toMatch(new RegExp(`^\\| \`${field.replace(/[().]/g, "\\$&")}\` \\|`, "m"));
    }
    expect(text).toContain('| `defaults.platform` | `"tiktok"` \\| `"instagram"` |  | `"tiktok"` |');
  });
});
