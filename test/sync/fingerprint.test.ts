import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, fingerprintOf } from "../../src/sync/fingerprint.ts";

const sha16 = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 16);

describe("fingerprintOf", () => {
  it('is "v1-" + the first 16 hex of SHA-256 over the canonical JSON', () => {
    expect(fingerprintOf({})).toBe(`v1-${sha16("{}")}`);
    expect(fingerprintOf({ b: 1, a: "x" })).toBe(`v1-${sha16('{"a":"x","b":1}')}`);
    expect(fingerprintOf([1, "two", null, true])).toBe(`v1-${sha16('[1,"two",null,true]')}`);
    expect(fingerprintOf({ a: 1 })).toMatch(/^v1-[0-9a-f]{16}$/);
  });

  it("does not depend on key order, at any depth", () => {
    const a = {
      body: { video_type: "video", description: "d", nested: { x: 1, y: [{ p: 1, q: 2 }] } },
      n: 2,
    };
    const b = {
      n: 2,
      body: { nested: { y: [{ q: 2, p: 1 }], x: 1 }, description: "d", video_type: "video" },
    };
    expect(fingerprintOf(a)).toBe(fingerprintOf(b));
    expect(canonicalJson(b)).toBe(
      '{"body":{"description":"d","nested":{"x":1,"y":[{"p":1,"q":2}]},"video_type":"video"},"n":2}',
    );
  });

  it("orders keys as the built-in sort orders strings, whatever order they were added in", () => {
    // Object.keys lists integer-like keys first and in numeric order; the canonical order is by code unit.
    const names = ["b", "a", "B", "_x", "é", "10", "2", "ab", "a b", "Z", "zz", "z", "0", "😀", "ä"];
    const expected = `{${[...names]
      .sort()
      .map((k) => `${JSON.stringify(k)}:1`)
      .join(",")}}`;
    for (let shift = 0; shift < names.length; shift++) {
      const order = [...names.slice(shift), ...names.slice(0, shift)].reverse();
      expect(canonicalJson(Object.fromEntries(order.map((k) => [k, 1])))).toBe(expected);
    }
  });

  it("drops undefined members but keeps null, and keeps array order", () => {
    expect(fingerprintOf({ a: 1, b: undefined })).toBe(fingerprintOf({ a: 1 }));
    expect(fingerprintOf({ a: 1, b: null })).not.toBe(fingerprintOf({ a: 1 }));
    expect(fingerprintOf(["a", "b"])).not.toBe(fingerprintOf(["b", "a"]));
    // Inside arrays undefined is null, as JSON.stringify writes it.
    expect(canonicalJson([1, undefined])).toBe("[1,null]");
  });

  it("changes with any value, and tells types apart", () => {
    const base = { create: { title: "t", videos_quantity: 3 }, publish: false };
    const seen = new Set([
      fingerprintOf(base),
      fingerprintOf({ ...base, publish: true }),
      fingerprintOf({ ...base, create: { title: "t2", videos_quantity: 3 } }),
      fingerprintOf({ ...base, create: { title: "t", videos_quantity: 4 } }),
      fingerprintOf({ ...base, create: { title: "t", videos_quantity: "3" } }),
      fingerprintOf({ ...base, extra: 0 }),
    ]);
    expect(seen.size).toBe(6);
  });

  it("matches JSON.stringify on already-sorted plain data (strings are escaped the same way)", () => {
    const value = { a: 'quote " and \\ and \n and é and \u2028', b: [1.5, -0, 1e21], c: { d: false } };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });
});
