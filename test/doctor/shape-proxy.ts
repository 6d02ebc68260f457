/**
 * A tiny HTTP server of the test's own in front of the sandbox: it forwards every request and lets a test
 * change the answer (status, headers, body) before it goes back, so the doctor meets shapes the sandbox
 * does not give, over real HTTP.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Rewrite = (
  req: { method: string; path: string; dryRun: boolean },
  answer: Answer,
) => Answer | undefined;

export interface ShapeProxy {
  /** The API base URL through the proxy (`…/api/ext`). */
  url: string;
  stop(): Promise<void>;
}

const HOP = new Set(["content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"]);

function bodyOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startShapeProxy(origin: string, rewrite: Rewrite): Promise<ShapeProxy> {
  const server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === "string" && k !== "host" && !HOP.has(k)) headers[k] = v;
    const upstream = await fetch(`${origin}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(body.byteLength > 0 ? { body } : {}),
    });
    let answer: Answer = { status: upstream.status, headers: {}, body: await upstream.text() };
    upstream.headers.forEach((v, k) => {
      if (!HOP.has(k)) answer.headers[k] = v;
    });
    const path = new URL(req.url ?? "/", "http://x").pathname.replace(/^\/api\/ext/, "");
    const dryRun = headers["x-tokportal-dry-run"] === "true";
    answer = rewrite({ method: req.method ?? "GET", path, dryRun }, answer) ?? answer;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/ext`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JSON answer with its body changed by `edit`. */
export function editJson(answer: Answer, edit: (body: Record<string, unknown>) => unknown): Answer {
  const next = edit(JSON.parse(answer.body) as Record<string, unknown>);
  return { ...answer, body: JSON.stringify(next) };
}
