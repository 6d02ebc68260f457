/** The config file: schema, loading, errors (see load.ts). */
export { ConfigError } from "./errors.ts";
export { configJsonSchema } from "./json-schema.ts";
export { DEFAULT_CONFIG_FILE, type LoadConfigOptions, type LoadedConfig, loadConfig } from "./load.ts";
export { type Config, type ConfigInput, configSchema } from "./schema.ts";
