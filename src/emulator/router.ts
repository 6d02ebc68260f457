/**
 * Routes built from the spec's own paths, so the emulator serves exactly the contract. A static segment
 * always beats a parameter at the same position: `PUT /bundles/{id}/videos/batch` is never position "batch".
 */
import type { HttpMethod, OperationSpec } from "../api/spec.ts";

interface Route {
  op: OperationSpec;
  /** A literal segment, or null for a `{param}` segment (named in `names`). */
  segments: Array<string | null>;
  names: string[];
}

export type RouteMatch =
  | { kind: "op"; op: OperationSpec; params: Record<string, string> }
  | { kind: "method_not_allowed"; allowed: HttpMethod[] }
  | { kind: "not_found" };

export class Router {
  /** Routes grouped by `${method} ${segmentCount}`, most specific first. */
  private readonly table = new Map<string, Route[]>();

  constructor(operations: Iterable<OperationSpec>) {
    for (const op of operations) {
      const parts = op.path.split("/").filter(Boolean);
      const names: string[] = [];
      const segments = parts.map((p) => {
        const m = /^\{(.+)\}$/.exec(p);
        if (!m) return p;
        names.push(m[1] ?? "");
        return null;
      });
      const key = `${op.method} ${segments.length}`;
      const list = this.table.get(key) ?? [];
      list.push({ op, segments, names });
      this.table.set(key, list);
    }
    for (const list of this.table.values()) list.sort((a, b) => compareSpecificity(a.segments, b.segments));
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split("/").filter(Boolean);
    const found = this.find(method, parts);
    if (found) return found;
    const allowed: HttpMethod[] = [];
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) {
      if (m !== method && this.find(m, parts)) allowed.push(m);
    }
    return allowed.length > 0 ? { kind: "method_not_allowed", allowed } : { kind: "not_found" };
  }

  private find(method: string, parts: string[]): RouteMatch | undefined {
    const list = this.table.get(`${method} ${parts.length}`);
    if (!list) return undefined;
    outer: for (const route of list) {
      const params: Record<string, string> = {};
      let n = 0;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i];
        const part = parts[i] ?? "";
        if (seg === null) {
          let value: string;
          try {
            value = decodeURIComponent(part);
          } catch {
            continue outer;
          }
          params[route.names[n++] ?? ""] = value;
        } else if (seg !== part) continue outer;
      }
      return { kind: "op", op: route.op, params };
    }
    return undefined;
  }
}

/** Static before parameter, compared left to right. */
function compareSpecificity(a: Array<string | null>, b: Array<string | null>): number {
  for (let i = 0; i < a.length; i++) {
    const sa = a[i] !== null;
    const sb = b[i] !== null;
    if (sa !== sb) return sa ? -1 : 1;
  }
  return 0;
}
