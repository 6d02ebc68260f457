/** The TokPortal emulator: a local sandbox of the API (see app.ts), for users and for tests. */

export {
  API_BASE_PATH,
  API_VERSION,
  type CreatedKey,
  type EmulatorHandle,
  type EmulatorOptions,
  startEmulator,
} from "./app.ts";
export type { FaultConfig, FaultResponse, FaultRewrite, FaultRule } from "./faults.ts";
export type { RequestLogEntry } from "./request-log.ts";
export { DEFAULT_RULES, type RulesPatch } from "./rules.ts";
export { DEFAULT_API_KEY, DEFAULT_CREDITS } from "./state.ts";
