/** Option parsers shared by the commands (commander turns their InvalidArgumentError into exit 2). */
import { InvalidArgumentError } from "commander";

export function creditsArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a whole number of credits >= 0.");
  return n;
}
