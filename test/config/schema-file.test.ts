import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { configJsonSchemaText } from "../../src/config/json-schema.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createSource } from "../../src/sources/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const schemaFile = `${root}config.schema.json`;
const exampleFile = `${root}config.example.json`;

type JsonSchema = {
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
};

/** Paths of properties that have no description (an editor would show nothing for them). */
function undescribed(schema: JsonSchema, at = ""): string[] {
  const out: string[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const here = at ? `${at}.${key}` : key;
    if (!sub.description) out.push(here);
    out.push(...undescribed(sub, here));
  }
  for (const sub of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) out.push(...undescribed(sub, at));
  if (typeof schema.additionalProperties === "object")
    out.push(...undescribed(schema.additionalProperties, `${at}.*`));
  return out;
}

describe("config.schema.json", () => {
  it("is what `npm run gen:config-schema` writes from the zod schema", () => {
    expect(readFileSync(schemaFile, "utf8"), "run `npm run gen:config-schema` and commit the file").toBe(
      configJsonSchemaText(),
    );
  });

  it("describes every field, so editors can explain it", () => {
    const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as JsonSchema;
    expect(schema.description).toBeTruthy();
    expect(Object.keys(schema.properties ?? {})).toEqual([
      "$schema",
      "tokportal",
      "source",
      "ref_prefix",
      "columns",
      "defaults",
      "max_credits",
      "analytics",
      "schedule",
      "timezone",
      "alerts",
    ]);
    expect(undescribed(schema)).toEqual([]);
  });

  it("accepts the example and refuses what the loader refuses (checked by Ajv, as an editor would)", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
    expect(validate(JSON.parse(readFileSync(exampleFile, "utf8"))), JSON.stringify(validate.errors)).toBe(
      true,
    );
    expect(validate({ source: { type: "csv", videos: "v.csv" }, tokportal: { bogus: 1 } })).toBe(false);
    expect(validate({ source: { type: "csv" } })).toBe(false);
    expect(validate({ source: { type: "csv", videos: "v.csv" }, max_credits: -1 })).toBe(false);
  });
});

describe("config.example.json", () => {
  it("loads without a key (sandbox), with the documented settings", () => {
    const loaded = loadConfig(exampleFile, {});
    expect(loaded.baseUrl).toBe("sandbox");
    expect(loaded.apiKey).toBeNull();
    expect(loaded.baseDir).toBe(root.replace(/\/$/, ""));
    expect(loaded.config.ref_prefix).toBe("spring-");
    expect(loaded.config.defaults.publish).toBe(true);
    expect(loaded.config.max_credits).toBe(1000);
    expect(loaded.source).toMatchObject({
      type: "csv",
      bundles: "fixtures/campaign/bundles.csv",
      videos: "fixtures/campaign/videos.csv",
    });
  });

  it("points at the fixture campaign, which its source reads without problems (and without writing)", async () => {
    const loaded = loadConfig(exampleFile, {});
    for (const f of ["fixtures/campaign/bundles.csv", "fixtures/campaign/videos.csv"]) {
      expect(existsSync(`${root}${f}`)).toBe(true);
    }
    const before = readFileSync(`${root}fixtures/campaign/videos.csv`, "utf8");
    const tables = await createSource(loaded.source, { baseDir: loaded.baseDir }).read();
    expect(tables.problems.filter((p) => p.fatal)).toEqual([]);
    expect(tables.bundles?.length).toBeGreaterThan(0);
    expect(tables.videos.length).toBeGreaterThan(0);
    expect(readFileSync(`${root}fixtures/campaign/videos.csv`, "utf8")).toBe(before);
  });
});
