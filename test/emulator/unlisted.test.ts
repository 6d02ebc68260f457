import { describe, expect, it } from "vitest";
import { UNLISTED_OPERATIONS } from "../../src/emulator/unlisted.ts";
import { sharedEmulator } from "../support/emulator.ts";

const ID = "3f2a6c1e-7b1d-4c55-9a0e-2d6f1b7c9e10";

describe("operations TokPortal has beyond the spec", () => {
  const emu = sharedEmulator();

  it("answer 501 NOT_IMPLEMENTED in the error envelope, naming the operation", async () => {
    expect(UNLISTED_OPERATIONS).toHaveLength(13);
    for (const u of UNLISTED_OPERATIONS) {
      const path = u.path.replace("{id}", ID);
      const res = await emu.api(u.method, path, u.method === "GET" ? {} : { body: {} });
      expect(res.status, `${u.method} ${path}`).toBe(501);
      expect(res.body.error.code).toBe("NOT_IMPLEMENTED");
      expect(res.body.error.message).toContain(u.operation);
      expect(res.body.error.details).toEqual({ operation: u.operation, method: u.method, path: u.path });
      expect(res.headers.get("x-ratelimit-limit")).toBeTruthy();
      expect(emu.requestLog().at(-1)).toMatchObject({ operationId: u.operation, status: 501 });
    }
  });

  it("still need a valid key first, and leave the spec's own routes alone", async () => {
    expect((await emu.api("PATCH", "/me", { key: null, body: {} })).body.error.code).toBe("AUTH_MISSING_KEY");
    expect((await emu.api("GET", "/me")).status).toBe(200);
    expect((await emu.api("DELETE", "/account-bans")).status).toBe(404);
    expect((await emu.api("GET", "/warming-sessions/a/b")).status).toBe(404);
  });
});
