/**
 * JSON: one object of name → value (null for `--unset`), ASCII-only: every character
 * outside printable ASCII is a `\uXXXX` escape (this covers U+2028/U+2029). Pure.
 */
import { checkNames, checkVars, type EnvVar, type Format } from "./common.ts";

/** JSON text with every non-ASCII or DEL character escaped as `\uXXXX`. */
export function asciiJson(data: unknown): string {
  return JSON.stringify(data, null, 2).replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** The `json` format. */
export const json: Format = {
  render(vars: readonly EnvVar[]): string {
    checkVars(vars);
    return asciiJson(Object.fromEntries(vars)) + "\n";
  },
  unset(names: readonly string[]): string {
    checkNames(names);
    return asciiJson(Object.fromEntries(names.map((n) => [n, null]))) + "\n";
  },
};
