/**
 * `spec/overlay.yaml`: the fields TokPortal takes that its published contract lacks, merged into the
 * contract before validators are compiled (and before the TypeScript types are generated). The vendored
 * contract stays as published; every change here names the fact it rests on.
 *
 * Merging is strict: a pointer that leads nowhere, a property or keyword the contract already has, or an
 * enum that is not there fails loudly, so a newer published contract that catches up is noticed.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

export const OVERLAY_PATH = fileURLToPath(new URL("../../spec/overlay.yaml", import.meta.url));

export interface OverlayChange {
  /** What the change is about, for error messages. */
  fact: string;
  /** Where the fact comes from: required, so nothing is added on a guess. */
  source: string;
  /** JSON pointers (RFC 6901) of the schemas to change. */
  at: string[];
  properties?: Record<string, unknown>;
  enum?: Record<string, unknown[]>;
  unrequire?: string[];
  set?: Record<string, unknown>;
}

export interface Overlay {
  changes: OverlayChange[];
}

type Node = Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The node a JSON pointer leads to, or an error naming the change. */
function resolve(root: Node, pointer: string, fact: string): Node {
  if (!pointer.startsWith("/")) throw new Error(`overlay "${fact}": "${pointer}" is not a JSON pointer`);
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = Array.isArray(node) ? node[Number(key)] : isNode(node) ? node[key] : undefined;
    if (node === undefined) throw new Error(`overlay "${fact}": the contract has nothing at ${pointer}`);
  }
  if (!isNode(node)) throw new Error(`overlay "${fact}": ${pointer} is not a schema`);
  return node;
}

/** Reads and checks the overlay file's shape. */
export function parseOverlay(text: string): Overlay {
  const doc = parseYaml(text) as { changes?: unknown };
  if (!isNode(doc) || !Array.isArray(doc.changes)) throw new Error("overlay: expected a `changes` list");
  for (const c of doc.changes as Partial<OverlayChange>[]) {
    const fact = typeof c?.fact === "string" ? c.fact : "(unnamed)";
    if (typeof c?.fact !== "string" || c.fact === "") throw new Error("overlay: a change without `fact`");
    if (typeof c.source !== "string" || c.source.trim() === "")
      throw new Error(`overlay "${fact}": no \`source\` (every addition names the fact it rests on)`);
    if (!Array.isArray(c.at) || c.at.length === 0) throw new Error(`overlay "${fact}": no \`at\` pointers`);
  }
  return doc as unknown as Overlay;
}

export function loadOverlay(path: string = OVERLAY_PATH): Overlay {
  return parseOverlay(readFileSync(path, "utf8"));
}

/** The contract with the overlay applied; the input is left untouched. */
export function applyOverlay<T extends object>(contract: T, overlay: Overlay): T {
  const root = structuredClone(contract) as unknown as Node;
  for (const change of overlay.changes) {
    for (const pointer of change.at) applyChange(resolve(root, pointer, change.fact), change, pointer);
  }
  return root as unknown as T;
}

function applyChange(node: Node, change: OverlayChange, pointer: string): void {
  const where = `overlay "${change.fact}" at ${pointer}`;
  if (change.properties) {
    if (!isNode(node.properties)) node.properties = {};
    const props = node.properties as Node;
    for (const [name, schema] of Object.entries(change.properties)) {
      if (name in props)
        throw new Error(`${where}: the contract already has ${name}; drop it from the overlay`);
      props[name] = structuredClone(schema);
    }
  }
  for (const [name, values] of Object.entries(change.enum ?? {})) {
    const prop = (node.properties as Node | undefined)?.[name];
    if (!isNode(prop) || !Array.isArray(prop.enum)) throw new Error(`${where}: ${name} has no enum`);
    for (const v of values) {
      if (prop.enum.includes(v)) throw new Error(`${where}: ${name} already allows ${JSON.stringify(v)}`);
      prop.enum.push(v);
    }
  }
  if (change.unrequire) {
    const required = Array.isArray(node.required) ? (node.required as string[]) : [];
    for (const name of change.unrequire) {
      if (!required.includes(name)) throw new Error(`${where}: ${name} is not required there`);
    }
    node.required = required.filter((r) => !change.unrequire?.includes(r));
  }
  for (const [keyword, value] of Object.entries(change.set ?? {})) {
    if (keyword in node) throw new Error(`${where}: the schema already has "${keyword}"`);
    node[keyword] = structuredClone(value);
  }
}
