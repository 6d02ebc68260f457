/**
 * When each bundle's next manager step is due, kept between runs so that running the managers before a
 * request costs the bundles that changed or fell due, not every bundle (managers.ts).
 *
 * A bundle's due time depends on its own fields and the rules only, so it stays right until the bundle
 * changes. What changes bundles marks them: a handler's `ctx.bundle(id)` (op-context.ts) and the creation
 * of a bundle (bundle-create.ts, which also keeps the creation order, the order bundles are advanced in).
 * A time kept too early is harmless (the bundle is looked at and nothing is due); every other change
 * (a new state, new rules, a clock jump through the admin API) rebuilds the index from every bundle.
 */
import type { EmulatorState } from "../model.ts";

interface Entry {
  at: number;
  id: string;
  version: number;
}

export class DueIndex {
  private readonly heap: Entry[] = [];
  /** The live entry's version and time per bundle; heap entries of older versions are skipped. */
  private readonly current = new Map<string, { at: number; version: number }>();
  private readonly order = new Map<string, number>();
  private readonly changed = new Set<string>();
  private version = 0;

  constructor(
    readonly rulesKey: string,
    ids: Iterable<string>,
  ) {
    for (const id of ids) this.added(id);
  }

  /** A bundle was created: it is advanced after every bundle created before it. */
  added(id: string): void {
    if (!this.order.has(id)) this.order.set(id, this.order.size);
    this.changed.add(id);
  }

  /** A bundle may have changed: its due time is worked out again at the next run. */
  touched(id: string): void {
    this.changed.add(id);
  }

  /** The bundles marked since the last call (each once). */
  takeChanged(): string[] {
    const ids = [...this.changed];
    this.changed.clear();
    return ids;
  }

  /** Sets a bundle's due time (+∞: not due until it changes). */
  set(id: string, at: number): void {
    if (!this.order.has(id)) this.order.set(id, this.order.size);
    const version = ++this.version;
    this.current.set(id, { at, version });
    if (at !== Number.POSITIVE_INFINITY) this.push({ at, id, version });
    // Replaced entries stay in the heap until their time; past a bound the heap is rebuilt from the live ones.
    if (this.heap.length > 2 * this.current.size + 1024) this.compact();
  }

  private compact(): void {
    this.heap.length = 0;
    for (const [id, { at, version }] of this.current) {
      if (at !== Number.POSITIVE_INFINITY) this.push({ at, id, version });
    }
  }

  /** The bundles due at `now`, in creation order, taken out of the index until `set` again. */
  takeDue(now: number): string[] {
    const due: string[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const top = this.pop();
      const live = this.current.get(top.id);
      if (!live || live.version !== top.version) continue;
      this.current.delete(top.id);
      due.push(top.id);
    }
    return due.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= e.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
        if (h[c]!.at >= last.at) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

const indexes = new WeakMap<EmulatorState, DueIndex>();

/** The state's index; a new one (every bundle to be worked out) for a new state or new rules. */
export function dueIndexOf(state: EmulatorState, rulesKey: string): DueIndex {
  let index = indexes.get(state);
  if (!index || index.rulesKey !== rulesKey) {
    index = new DueIndex(rulesKey, Object.keys(state.bundles));
    indexes.set(state, index);
  }
  return index;
}

/** Drops the state's index: the next run works out every bundle (a clock jump through the admin API). */
export function forgetDueIndex(state: EmulatorState): void {
  indexes.delete(state);
}

/** A handler may change this bundle (no-op for a state without an index, such as a dry run's copy). */
export function markBundleTouched(state: EmulatorState, id: string): void {
  indexes.get(state)?.touched(id);
}

/** A bundle was added to the state. */
export function markBundleAdded(state: EmulatorState, id: string): void {
  indexes.get(state)?.added(id);
}
