/** `npm run gen:config-schema`: writes config.schema.json at the repository root from the zod schema. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from "./json-schema.ts";

const target = fileURLToPath(new URL(`../../${CONFIG_SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, configJsonSchemaText());
process.stdout.write(`wrote ${CONFIG_SCHEMA_FILE}\n`);
