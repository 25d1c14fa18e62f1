/**
 * Text safe to put on a terminal: control characters (C0 other than newline and tab, DEL,
 * C1) and invisible or reordering format characters (bidi overrides and isolates, zero-width
 * characters, line/paragraph separators, BOM) become visible escapes. What others wrote (tag
 * messages, file names, branch names, git's messages) is passed through here before runprov
 * prints it for a human. Pure.
 */

/** Invisible or reordering format characters, and DEL and C1 controls (which JSON leaves raw). */
const FORMAT_CHARS =
  "\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb";

/** Characters that must never reach a terminal raw: also C0 controls but newline and tab. */
const UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${FORMAT_CHARS}]`, "g");

/** The characters JSON text leaves raw (it escapes C0 controls itself). */
const UNSAFE_IN_JSON = new RegExp(`[${FORMAT_CHARS}]`, "g");

function escapeChar(c: string): string {
  if (c === "\r") return "\\r";
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every control and invisible format character escaped (`\x1b`, `\r`, `\u202e`);
 * newlines and tabs stay.
 *
 * @example
 * printable("a\u001b[31mb\u202ec\n"); // "a\\x1b[31mb\\u202ec\n"
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * JSON text (from `JSON.stringify`) with the characters JSON leaves raw (DEL, C1, bidi and
 * zero-width format characters) written as `\u` escapes: the same data once parsed.
 *
 * @example
 * jsonPrintable(JSON.stringify("a\u202eb")); // "\"a\\u202eb\""
 */
export function jsonPrintable(json: string): string {
  return json.replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
