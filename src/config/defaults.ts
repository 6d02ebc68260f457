/** The config file a command reads when no `-c FILE` is given (in the current directory). */
export const DEFAULT_CONFIG_FILE = "tokportal-sync.json";
