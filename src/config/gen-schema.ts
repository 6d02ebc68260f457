/**
 * `npm run gen:config-schema`: writes config.schema.json at the repository root and docs/config.md from the
 * zod schema.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONFIG_DOC_FILE, configDocText } from "./docs.ts";
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from "./json-schema.ts";

for (const [file, text] of [
  [CONFIG_SCHEMA_FILE, configJsonSchemaText()],
  [CONFIG_DOC_FILE, configDocText()],
] as const) {
  writeFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), text);
  process.stdout.write(`wrote ${file}\n`);
}
