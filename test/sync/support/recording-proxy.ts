/**
 * A plain HTTP proxy in front of the emulator that keeps the JSON body of every write it forwards, so a
 * test can read exactly what the sync sent (the emulator's own request log keeps no bodies). Real HTTP on
 * both sides: nothing of the sync's transport is replaced.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SentWrite {
  method: string;
  /** The path without the query string, e.g. `/api/ext/bundles/<id>/videos/batch`. */
  path: string;
  /** The parsed JSON body, or null for a body that is not JSON (multipart uploads). */
  body: unknown;
}

export interface RecordingProxy {
  /** Base URL of the API through the proxy (ends in /api/ext). */
  url: string;
  /** Writes forwarded with index ≥ `since` (see `mark`). */
  writes(since?: number): SentWrite[];
  /** The index the next write will get. */
  mark(): number;
  stop(): Promise<void>;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export async function startRecordingProxy(upstreamOrigin: string): Promise<RecordingProxy> {
  const upstream = new URL(upstreamOrigin);
  const agent = new http.Agent({ keepAlive: true });
  const sent: SentWrite[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      if (WRITE_METHODS.has(req.method ?? "") && (req.url ?? "").startsWith("/api/ext")) {
        let body: unknown = null;
        if ((req.headers["content-type"] ?? "").includes("json")) body = JSON.parse(raw.toString("utf8"));
        sent.push({ method: req.method ?? "", path: (req.url ?? "").split("?")[0] ?? "", body });
      }
      const up = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on("error", () => req.socket.destroy());
      up.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/ext`,
    writes: (since = 0) => sent.slice(since),
    mark: () => sent.length,
    stop: async () => {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
