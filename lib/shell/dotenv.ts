/**
 * dotenv: `K=v` lines, only for values every dotenv reader takes literally (letters,
 * digits and `_ . / + @ - : , =`). Readers disagree on quotes, escapes and `${…}`
 * (python-dotenv interpolates it, docker keeps quotes), so any other value is refused.
 * No unset form. Pure.
 */
import { checkVars, type EnvVar, type Format, unrepresentable } from "./common.ts";

const SAFE = /^[A-Za-z0-9_.\/+@:,=-]*$/;

function describe(value: string): string {
  const bad = [...value].find((c) => !SAFE.test(c))!;
  const cp = bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  const shown = bad === " " ? "a space " : /^[\x21-\x7e]$/.test(bad) ? `'${bad}' ` : "";
  return `its value contains ${shown}(U+${cp}), which dotenv readers do not agree how to read`;
}

/** The `dotenv` format (no unset form). */
export const dotenv: Format = {
  render(vars: readonly EnvVar[]): string {
    checkVars(vars);
    for (const [n, v] of vars) if (!SAFE.test(v)) throw unrepresentable("dotenv", n, describe(v));
    return vars.map(([n, v]) => `${n}=${v}\n`).join("");
  },
};
