/**
 * Records of a sheet row's named values (its cells by column, its output cells), made so that V8 keeps
 * them compact. An object given its keys one at a time by name (`cells[name] = value`) becomes a slow
 * dictionary past a few dozen keys: a videos row of a sheet `init` laid out (48 columns) took 3 KB as one,
 * 400 bytes as a copy of a template that already has every key, whose values are then replaced.
 */

/** A maker of records holding `names` (in that order), each value "" until set. */
export function recordMaker(names: readonly string[]): () => Record<string, string> {
  // JSON.parse gives an object in V8's fast form whatever its number of keys; copies share its layout.
  const template = JSON.parse(JSON.stringify(Object.fromEntries(names.map((n) => [n, ""])))) as Record<
    string,
    string
  >;
  return () => ({ ...template });
}
