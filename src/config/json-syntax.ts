/**
 * Where a JSON text first goes wrong, as a line and column. `JSON.parse` says what went wrong but, on
 * Node 20, not always where ("Unexpected token '}', ... is not valid JSON"), and a config error must point
 * at the place to fix. This walks the text once, following the JSON grammar, only after `JSON.parse` failed.
 */

export interface JsonSyntaxProblem {
  line: number;
  column: number;
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new Stop(at, reason);
  };
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const what = (): string => (i >= text.length ? "the end of the file" : JSON.stringify(text[i]));
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${what()}; expected a value`);
  };
  const string = () => {
    const start = i;
    i++; // opening quote
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("bad \\u escape in a string");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail("bad escape in a string (write \\\\ for a backslash, e.g. in Windows paths)");
      } else if (c < " ")
        fail("a line break or control character inside a string (strings end on their line)");
      else i++;
    }
    fail('a string is never closed (missing ")', start);
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail(`unexpected ${what()}; expected a value`);
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") object();
    else if (c === "[") array();
    else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) number();
    else fail(`unexpected ${what()}; expected a value`);
  };
  const object = () => {
    i++;
    ws();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"')
        fail(
          text[i] === "}"
            ? "a comma before } (JSON allows no trailing comma)"
            : `unexpected ${what()}; expected a key in double quotes`,
        );
      string();
      ws();
      if (text[i] !== ":") fail(`unexpected ${what()}; expected : after the key`);
      i++;
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail(`unexpected ${what()}; expected , or } (is a comma missing?)`);
    }
  };
  const array = () => {
    i++;
    ws();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === "]") fail("a comma before ] (JSON allows no trailing comma)");
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail(`unexpected ${what()}; expected , or ]`);
    }
  };
  try {
    ws();
    if (i >= text.length) fail("the file is empty; expected a JSON object");
    value();
    ws();
    if (i < text.length) fail(`unexpected ${what()} after the end of the JSON value`);
    return null;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    return { ...lineColumn(text, err.offset), message: err.reason };
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === "\n") {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
