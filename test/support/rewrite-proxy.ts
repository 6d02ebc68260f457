/**
 * An HTTP proxy in front of the sandbox that makes it answer shapes it does not produce itself: every request
 * is forwarded to the real emulator, and the answer of a request a rule matches is rewritten (or, with
 * `respond`, the request is answered by the rule and never reaches the emulator).
 *
 *   const proxy = await startRewriteProxy(emu.url);
 *   proxy.rules = [{ method: "PUT", path: /\/videos\/batch$/, rewrite: json(() => ({ data: "ok" })) }];
 *   await syncCsv({ url: proxy.url, apiKey: emu.apiKey }, files);
 *   proxy.hits(0); // how many answers the first rule changed
 *   await proxy.stop();
 *
 * Kept in one module so tests can move to the emulator's own fault rules (answer a chosen status, headers
 * and body, or rewrite a real answer) without changing what they prove.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (JSON, CSV…). */
  body: string;
}

export interface RewriteRule {
  /** HTTP method, upper case. */
  method: string;
  /** Tested against the request's path without its query (e.g. `/api/ext/bundles/<id>/publish`). */
  path: RegExp;
  /** Changes the real answer (return it, changed or not). */
  rewrite?: (answer: ProxiedAnswer) => ProxiedAnswer;
  /** Answers instead of the emulator: the request is not forwarded, so nothing happens there. */
  respond?: () => ProxiedAnswer;
  /** How many matching requests the rule applies to (default: all of them). */
  times?: number;
}

export interface RewriteProxy {
  /** The base URL to give a client (the emulator's, through the proxy). */
  url: string;
  /** The rules, in order; the first that matches (and has uses left) applies. Replace at will. */
  rules: RewriteRule[];
  /** How many requests rule `i` of the current rules applied to. */
  hits(i: number): number;
  stop(): Promise<void>;
}

/** A `rewrite` that maps the JSON body (`edit` may change it in place and return nothing). */
// biome-ignore lint/suspicious/noExplicitAny: tests edit answer bodies ad hoc; their assertions check the values
export function json(edit: (body: any) => unknown): (answer: ProxiedAnswer) => ProxiedAnswer {
  return (answer) => {
    const parsed = JSON.parse(answer.body);
    const out = edit(parsed);
    return { ...answer, body: JSON.stringify(out === undefined ? parsed : out) };
  };
}

/** A TokPortal error envelope answered by the proxy. */
export function errorAnswer(status: number, code: string, message: string, details?: object): ProxiedAnswer {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } }),
  };
}

export async function startRewriteProxy(targetUrl: string): Promise<RewriteProxy> {
  const target = new URL(targetUrl);
  const counts = new WeakMap<RewriteRule, number>();
  const proxy: Omit<RewriteProxy, "url" | "stop"> = {
    rules: [],
    hits: (i) => {
      const rule = proxy.rules[i];
      return rule ? (counts.get(rule) ?? 0) : 0;
    },
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const rule = proxy.rules.find(
      (r) => r.method === req.method && r.path.test(path) && (counts.get(r) ?? 0) < (r.times ?? Infinity),
    );
    if (rule) counts.set(rule, (counts.get(rule) ?? 0) + 1);
    const send = (answer: ProxiedAnswer) => {
      const headers = { ...answer.headers };
      delete headers["content-length"];
      delete headers["transfer-encoding"];
      delete headers["content-encoding"];
      headers["content-length"] = String(Buffer.byteLength(answer.body));
      res.writeHead(answer.status, headers);
      res.end(answer.body);
    };
    if (rule?.respond) {
      req.resume();
      req.on("end", () => send(rule.respond!()));
      return;
    }
    const headers = { ...req.headers, host: target.host };
    // Compressed answers could not be rewritten as text.
    delete headers["accept-encoding"];
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        if (!rule?.rewrite) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () =>
          send(
            rule.rewrite!({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          ),
        );
      },
    );
    forward.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ...proxy,
    get rules() {
      return proxy.rules;
    },
    set rules(rules: RewriteRule[]) {
      proxy.rules = rules;
    },
    url: `http://127.0.0.1:${port}${target.pathname}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
