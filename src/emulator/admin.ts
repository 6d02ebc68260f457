/**
 * Admin endpoints under /__emulator/ (no auth, no faults; not part of TokPortal's API):
 *
 *   POST   /__emulator/reset                 fresh state: the default workspace and key, credits from options
 *   POST   /__emulator/advance  {seconds}    move the simulated clock, run the managers → {data:{now}}
 *   GET    /__emulator/state                 the whole state (key hashes only)
 *   GET    /__emulator/requests?since=N      the request log → {data:[...], next: N}
 *   DELETE /__emulator/requests              clear the request log (also POST /__emulator/requests/clear)
 *   POST   /__emulator/credits {amount|set, api_key?}   add to (or set) a workspace's balance
 *   POST   /__emulator/keys {credits?, scope?, email?, plan_tier?}  new workspace + key (key returned once)
 *   POST   /__emulator/keys/revoke {api_key}  revoke a key
 *   GET    /__emulator/faults, POST /__emulator/faults {…}  read / replace the fault config ({} clears it)
 *   GET    /__emulator/rules,  POST /__emulator/rules {…}   read / patch the rules
 *   POST   /__emulator/bundles/{id}/cancel {reason?}   TokPortal cancels a bundle (terminal)
 *   POST   /__emulator/accounts/{id}/ban {reason?}     a validated ban of a delivered account: its bundles
 *                                                      (and the videos_only ones on it) are cancelled
 */

import type { Context, Hono } from "hono";
import { type Answer, apiError, jsonAnswer, requestIdOf, toResponse } from "./envelope.ts";
import type { FaultConfig } from "./faults.ts";
import type { ApiKeyRecord, PlanTier } from "./model.ts";
import { banAccount, type CancelEnv, cancelBundle } from "./ops/cancellation.ts";
import { bundleView } from "./ops/views.ts";
import type { Env } from "./pipeline/call.ts";
import type { RulesPatch } from "./rules.ts";
import { hashApiKey } from "./state.ts";
import type { Emulator } from "./world.ts";

const SCOPES: ApiKeyRecord["scope"][] = ["*", "read", "write"];
const TIERS: PlanTier[] = ["starter", "creator", "marketer"];

export function registerAdmin(app: Hono<Env>, emu: Emulator): void {
  const route = (
    method: "get" | "post" | "delete",
    path: string,
    fn: (body: Record<string, unknown>, c: Context<Env>) => Answer | Promise<Answer>,
  ) => {
    app[method](`/__emulator${path}`, async (c) => {
      let body: Record<string, unknown> = {};
      if (method !== "get") {
        const raw = await c.req.text();
        if (raw.trim() !== "") {
          try {
            const parsed = JSON.parse(raw) as unknown;
            if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
            body = parsed as Record<string, unknown>;
          } catch {
            return send(c, bad("The body must be a JSON object."));
          }
        }
      }
      let answer: Answer;
      try {
        answer = await fn(body, c);
      } catch (err) {
        answer = bad((err as Error).message);
      }
      return send(c, answer);
    });
  };

  route("post", "/reset", () => {
    emu.reset();
    return jsonAnswer(200, { data: { reset: true, now: emu.clock.iso() } });
  });

  route("post", "/advance", async (body) => {
    const seconds = body.seconds;
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0)
      return bad("seconds must be a number >= 0");
    const now = await emu.advance(seconds);
    return jsonAnswer(200, { data: { now } });
  });

  route("get", "/state", () => {
    emu.manage();
    return jsonAnswer(200, emu.state);
  });

  route("get", "/requests", (_b, c) => {
    const since = Number(c.req.query("since") ?? 0);
    if (!Number.isInteger(since) || since < 0) return bad("since must be an integer >= 0");
    const data = emu.log.since(since);
    const last = data[data.length - 1];
    return jsonAnswer(200, { data, next: last ? last.index + 1 : since });
  });
  const clear = () => {
    emu.log.clear();
    return jsonAnswer(200, { data: { cleared: true } });
  };
  route("delete", "/requests", clear);
  route("post", "/requests/clear", clear);

  route("post", "/credits", (body) => {
    const apiKey = body.api_key === undefined ? undefined : String(body.api_key);
    const ws = emu.workspaceOfKey(apiKey);
    if (!ws) return apiError(404, "WORKSPACE_NOT_FOUND", "No workspace has that api_key.");
    const { amount, set } = body;
    if ((amount === undefined) === (set === undefined)) return bad('Send exactly one of "amount" or "set".');
    const n = amount ?? set;
    if (typeof n !== "number" || !Number.isInteger(n) || (set !== undefined && n < 0))
      return bad("amount must be an integer; set must be an integer >= 0");
    const balance = emu.adjustCredits(ws, amount !== undefined ? { amount: n } : { set: n });
    return jsonAnswer(200, { data: { workspace_id: ws.id, balance } });
  });

  route("post", "/keys", (body) => {
    const { credits, scope, email, plan_tier } = body;
    if (credits !== undefined && !(typeof credits === "number" && Number.isInteger(credits) && credits >= 0))
      return bad("credits must be an integer >= 0");
    if (scope !== undefined && !SCOPES.includes(scope as ApiKeyRecord["scope"]))
      return bad(`scope must be one of ${SCOPES.join(", ")}`);
    if (email !== undefined && typeof email !== "string") return bad("email must be a string");
    if (plan_tier !== undefined && !TIERS.includes(plan_tier as PlanTier))
      return bad(`plan_tier must be one of ${TIERS.join(", ")}`);
    const created = emu.createKey({
      ...(credits !== undefined ? { credits: credits as number } : {}),
      ...(scope !== undefined ? { scope: scope as ApiKeyRecord["scope"] } : {}),
      ...(email !== undefined ? { email: email as string } : {}),
      ...(plan_tier !== undefined ? { planTier: plan_tier as PlanTier } : {}),
    });
    return jsonAnswer(201, {
      data: { api_key: created.apiKey, workspace_id: created.workspaceId, key_id: created.keyId },
    });
  });

  route("post", "/keys/revoke", (body) => {
    if (typeof body.api_key !== "string") return bad("api_key is required");
    const hash = hashApiKey(body.api_key);
    const key = emu.state.apiKeys.find((k) => k.hash === hash);
    if (!key) return apiError(404, "KEY_NOT_FOUND", "No such key.");
    key.revoked = true;
    emu.touch();
    return jsonAnswer(200, { data: { key_id: key.id, revoked: true } });
  });

  route("get", "/faults", () => jsonAnswer(200, { data: emu.faults.get() }));
  route("post", "/faults", (body) => {
    emu.faults.set(body as FaultConfig);
    return jsonAnswer(200, { data: emu.faults.get() });
  });

  const cancelEnv = (): CancelEnv => ({
    state: emu.state,
    now: emu.clock.iso(),
    emit: (workspaceId, type, data) => emu.events.emit(workspaceId, type, data),
  });
  const reasonOf = (body: Record<string, unknown>): string | null =>
    typeof body.reason === "string" && body.reason.trim() !== "" ? body.reason.trim() : null;
  route("post", "/bundles/:id/cancel", async (body, c) => {
    const id = c.req.param("id") ?? "";
    if (!emu.state.bundles[id]) return apiError(404, "BUNDLE_NOT_FOUND", "No such bundle.");
    emu.manage();
    const bundle = cancelBundle(cancelEnv(), id, reasonOf(body));
    await emu.events.flush?.();
    emu.touch();
    return jsonAnswer(200, { data: bundleView(bundle) });
  });
  route("post", "/accounts/:id/ban", async (body, c) => {
    const id = c.req.param("id") ?? "";
    if (!emu.state.savedAccounts[id]) return apiError(404, "SAVED_ACCOUNT_NOT_FOUND", "No such account.");
    emu.manage();
    const bundles = banAccount(cancelEnv(), id, reasonOf(body));
    await emu.events.flush?.();
    emu.touch();
    return jsonAnswer(200, { data: { account_id: id, cancelled_bundles: bundles.map((b) => b.id) } });
  });

  route("get", "/rules", () => jsonAnswer(200, { data: emu.rules }));
  route("post", "/rules", (body) => jsonAnswer(200, { data: emu.setRules(body as RulesPatch) }));
}

function bad(message: string): Answer {
  return apiError(400, "VALIDATION_ERROR", message);
}

function send(c: Context<Env>, answer: Answer): Response {
  return toResponse(answer, { "x-tokportal-request-id": requestIdOf(c.req.header("x-request-id")) });
}
