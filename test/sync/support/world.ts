/**
 * What the emulator holds, read the way the end-to-end sync tests check it: the one bundle a test made, the
 * workspace, and the debits of its ledger (one per charge).
 */
import { expect } from "vitest";
import type { TestEmulator } from "../../support/emulator.ts";

export function emulatorWorld(emu: TestEmulator) {
  const workspace = () => {
    const ws = Object.values(emu.state().workspaces)[0];
    if (!ws) throw new Error("no workspace");
    return ws;
  };
  return {
    onlyBundle() {
      const bundles = Object.values(emu.state().bundles);
      expect(bundles).toHaveLength(1);
      return bundles[0] as NonNullable<(typeof bundles)[number]>;
    },
    workspace,
    debits: () => workspace().ledger.filter((l) => l.type === "debit"),
  };
}
