/**
 * Seeded randomness. Every stream the emulator draws from is derived from one seed, and each concern
 * (handlers, faults, dry-run ids) gets its own stream so that, say, a fault decision never shifts the ids
 * a handler creates: the same seed and the same request sequence give the same world.
 */
import { createHash, randomInt } from "node:crypto";

/** mulberry32: tiny, fast and good enough for simulation (not for secrets). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed for a named stream of a master seed. */
export function streamSeed(seed: number, stream: string): number {
  return createHash("sha256").update(`${seed}:${stream}`).digest().readUInt32BE(0);
}

/** A seed for runs that were given none. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31);
}

/**
 * The n-th uuid (v4 form) of a seed. Derived by hashing rather than from a PRNG so the sequence can
 * resume from a counter kept in the persisted state: a restarted emulator never reissues an id.
 */
export function seededUuid(seed: number, n: number): string {
  const b = createHash("sha256").update(`uuid:${seed}:${n}`).digest();
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `n` lower-case hex digits from a PRNG. */
export function randomHex(random: () => number, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

export const DRY_RUN_ID_PREFIX = "00000000-0000-4000-8000-";

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for text in uuid form, the shape of every id this emulator hands out. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
