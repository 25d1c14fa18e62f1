/**
 * Where a text stops being JSON (RFC 8259), as an offset: what `JSON.parse`'s messages do not
 * reliably say; and where it nests too deep for the parsers that recurse. Pure and small, so
 * reading a record never loads a parser library.
 */

const WS = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Nesting deeper than this is refused when a record or configuration is read: runprov's
 * own files nest a few levels, and parsers that recurse once per level (the JSONC parser,
 * `JSON.stringify`, `structuredClone`) exhaust the stack long before 100,000.
 */
export const JSON_MAX_DEPTH = 100;

/**
 * The offset of the first character that makes `text` invalid JSON, or null when it is
 * valid. The end of the text is reported as `text.length`. Iterative: any nesting depth.
 *
 * @example
 * jsonErrorOffset('{"a": x}'); // 6
 * jsonErrorOffset('[1, 2]'); // null
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && WS.has(text[i])) i++;
  };
  /** Each reader advances `i` past its token and returns true, or leaves `i` where it fails. */
  const literal = (word: string): boolean => {
    for (const c of word) {
      if (text[i] !== c) return false;
      i++;
    }
    return true;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (true) {
      if (i >= text.length) return false;
      const c = text[i];
      if (c === '"') {
        i++;
        return true;
      }
      if (c.charCodeAt(0) < 0x20) return false;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else i++;
    }
  };
  const number = (): boolean => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0] === "-") return false;
    i += m[0].length;
    return true;
  };
  // The open containers, innermost last, and what comes next.
  const open: ("{" | "[")[] = [];
  let next: "value" | "key" | "after" = "value";
  while (true) {
    ws();
    if (next === "value") {
      const c = text[i];
      if (c === "{" || c === "[") {
        i++;
        ws();
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++;
          next = "after";
        } else {
          open.push(c);
          next = c === "{" ? "key" : "value";
        }
        continue;
      }
      let ok: boolean;
      if (c === '"') ok = string();
      else if (c === "t") ok = literal("true");
      else if (c === "f") ok = literal("false");
      else if (c === "n") ok = literal("null");
      else if (c === "-" || (c >= "0" && c <= "9")) ok = number();
      else ok = false;
      if (!ok) return Math.min(i, text.length);
      next = "after";
    } else if (next === "key") {
      if (text[i] !== '"' || !string()) return Math.min(i, text.length);
      ws();
      if (text[i] !== ":") return Math.min(i, text.length);
      i++;
      next = "value";
    } else {
      const top = open[open.length - 1];
      if (top === undefined) return i < text.length ? i : null;
      if (text[i] === ",") {
        i++;
        next = top === "{" ? "key" : "value";
      } else if (text[i] === (top === "{" ? "}" : "]")) {
        i++;
        open.pop();
      } else return Math.min(i, text.length);
    }
  }
}

/**
 * The offset of the first `[` or `{` that opens level `max + 1` of `text` (outside strings
 * and, with `comments`, outside JSONC comments), or null when it nests no deeper than `max`.
 * Says nothing about whether the text is otherwise valid.
 *
 * @example
 * jsonDepthOffset("[[[1]]]", 2); // 2
 * jsonDepthOffset('{"a": "[[["}', 1); // null
 */
export function jsonDepthOffset(text: string, max: number, comments = false): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"' && text[i] !== "\n"; i++) {
        if (text[i] === "\\") i++;
      }
    } else if (comments && c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (comments && c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) return null;
      i = end + 1;
    } else if (c === "[" || c === "{") {
      if (++depth > max) return i;
    } else if (c === "]" || c === "}") {
      if (depth > 0) depth--;
    }
  }
  return null;
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}
