/**
 * The `tokportal-sync` command line. Each command is built by its own function and added to the program,
 * so `plan`, `sync`, `cron` and `validate` slot in beside `emulator` without touching it.
 */
import { readFileSync } from "node:fs";
import { Command, type CommanderError, InvalidArgumentError } from "commander";
import { cronCommand } from "./cli/cron.ts";
import { doctorCommand } from "./cli/doctor.ts";
import { historyCommand } from "./cli/history.ts";
import { initCommand } from "./cli/init.ts";
import { loginCommand, logoutCommand } from "./cli/login.ts";
import { planCommand } from "./cli/plan.ts";
import { quickstartCommand } from "./cli/quickstart.ts";
import { reportCommand } from "./cli/report.ts";
import { syncCommand } from "./cli/sync.ts";
import { validateCommand } from "./cli/validate.ts";
import { webhooksCommand } from "./cli/webhooks.ts";
import { DEFAULT_API_KEY, isApiKeyFormat } from "./emulator/state.ts";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.ts";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const PROGRAM_EXAMPLES = `Examples:
  $ cp config.example.json tokportal-sync.json   # a campaign on the local sandbox, to try it
  $ tokportal-sync init --spreadsheet ID         # lay out a Google Sheet (or --csv DIR) and write a config
  $ tokportal-sync doctor                        # check, for free, that TokPortal answers as the sync expects
  $ tokportal-sync validate                      # check the config and every row (reads only)
  $ tokportal-sync plan                          # what a sync would do, as a table (writes nothing)
  $ tokportal-sync sync                          # sync ./tokportal-sync.json (asks before spending)
  $ tokportal-sync sync -c prod.json --yes --json
  $ tokportal-sync emulator --state sandbox.json # the sandbox API on http://127.0.0.1:4010
  $ tokportal-sync help sync`;

export function buildProgram(): Command {
  const program = new Command("tokportal-sync")
    .description("Keep TokPortal in step with a campaign spreadsheet (Google Sheets or CSV).")
    .version(pkg.version, "-V, --version")
    .addHelpText("after", `\n${PROGRAM_EXAMPLES}\n\n${EXIT_CODES_HELP}`);
  program.addCommand(initCommand());
  program.addCommand(planCommand());
  program.addCommand(syncCommand());
  program.addCommand(validateCommand());
  program.addCommand(cronCommand());
  program.addCommand(historyCommand());
  program.addCommand(webhooksCommand());
  program.addCommand(reportCommand());
  program.addCommand(doctorCommand());
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  program.addCommand(emulatorCommand());
  program.addCommand(quickstartCommand());
  for (const cmd of [program, ...program.commands]) cmd.exitOverride(exitWith);
  return program;
}

/**
 * Commander exits 1 on a bad option or argument; ours is 2 (usage error), so 1 keeps meaning "some rows
 * failed". Help and version stay 0, and a command's own `cmd.error(…, {exitCode})` keeps its code.
 */
function exitWith(err: CommanderError): never {
  if (err.exitCode === 0 || err.code === "commander.error") process.exit(err.exitCode);
  process.exit(EXIT.usage);
}

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}.`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("must be a number >= 0.");
  return n;
}

/** Shows a key the user chose only by its last 4 characters; the public sandbox key in full. */
export function displayKey(key: string): string {
  return key === DEFAULT_API_KEY ? key : `sk_…${key.slice(-4)} (your key, shown by its last 4 characters)`;
}

interface EmulatorFlags {
  host: string;
  port: number;
  state?: string;
  credits: number;
  apiKey?: string;
  seed?: number;
  speed: number;
  now?: string;
  quiet?: boolean;
}

export function emulatorCommand(): Command {
  return new Command("emulator")
    .description(
      "Run the TokPortal sandbox: a local emulator of the API, with simulated credits and managers.",
    )
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", integer("--port", 0), 4010)
    .option("--state <file>", "keep the sandbox's data in this file across restarts")
    .option("--credits <n>", "opening balance of the default workspace", integer("--credits", 0), 10_000)
    .option("--api-key <key>", "the key the sandbox accepts (default: the public sandbox key)")
    .option("--seed <n>", "make ids, simulated work and faults reproducible", integer("--seed", 0))
    .option("--speed <x>", "simulated seconds per real second", positiveNumber, 1)
    .option("--now <time>", "simulated start time (ISO date or ms since epoch)")
    .option("--quiet", "no diagnostics on stderr")
    .addHelpText(
      "after",
      `
Examples:
  $ tokportal-sync emulator                          # http://127.0.0.1:4010/api/ext, data in memory
  $ tokportal-sync emulator --state sandbox.json     # keep the sandbox's data across restarts
  $ tokportal-sync emulator --port 0 --seed 7        # any free port; reproducible ids and faults
  $ tokportal-sync emulator --speed 3600             # one simulated hour per second

Then point a config at it: TOKPORTAL_BASE_URL=http://127.0.0.1:4010/api/ext (the key is printed at
start), or use "base_url": "sandbox" in the config to run it inside each command. See docs/emulator.md.`,
    )
    .action(async (flags: EmulatorFlags, cmd: Command) => {
      if (flags.apiKey !== undefined && !isApiKeyFormat(flags.apiKey)) {
        // Never echo the value: it may be a real key pasted by mistake.
        cmd.error("error: --api-key must be sk_ followed by 64 lowercase hex characters.", { exitCode: 2 });
      }
      // Loaded on use, so `--version` and `--help` stay instant.
      const { startEmulator } = await import("./emulator/index.ts");
      let emu: Awaited<ReturnType<typeof startEmulator>>;
      try {
        emu = await startEmulator({
          host: flags.host,
          port: flags.port,
          credits: flags.credits,
          speed: flags.speed,
          ...(flags.state !== undefined ? { stateFile: flags.state } : {}),
          ...(flags.apiKey !== undefined ? { apiKey: flags.apiKey } : {}),
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
          ...(flags.now !== undefined ? { now: flags.now } : {}),
          ...(flags.quiet ? { quiet: true } : {}),
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const message =
          e.code === "EADDRINUSE"
            ? `port ${flags.port} on ${flags.host} is already in use; choose another with --port (0 = any free port).`
            : e.message;
        cmd.error(`error: could not start the emulator: ${message}`, { exitCode: 1 });
      }
      const lines = [
        "TokPortal sandbox emulator running (simulated: no real accounts, no real credits)",
        `  base URL: ${emu.url}`,
        `  API key:  ${displayKey(emu.apiKey)}`,
        `  admin:    ${emu.origin}/__emulator/state`,
        flags.state ? `  state:    ${flags.state}` : "  state:    in memory (use --state FILE to keep it)",
        "",
        `  export TOKPORTAL_BASE_URL=${emu.url}`,
        ...(emu.apiKey === DEFAULT_API_KEY ? [`  export TOKPORTAL_API_KEY=${emu.apiKey}`] : []),
        "",
        "Press Ctrl+C to stop.",
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
      // A second signal while the state is being saved must not kill the save: later signals are ignored.
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await emu.stop();
        process.exit(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
}

await buildProgram().parseAsync(process.argv);
