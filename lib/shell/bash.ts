/**
 * bash, zsh, busybox ash, ksh: `export K=$'…';` with every non-bare byte as a 3-digit
 * octal escape, so the line holds no glob, quote or IFS-prone characters. Pure.
 */
import {
  checkNames,
  checkVars,
  type EnvVar,
  type Format,
  isBare,
  isBareByte,
  octal,
  utf8,
} from "./common.ts";

/**
 * A `$'…'` word for `value` (a bare value stays bare; empty is `''`).
 *
 * @example
 * dollarQuote("a'b"); // "$'a\\047b'"
 */
export function dollarQuote(value: string): string {
  if (value === "") return "''";
  if (isBare(value)) return value;
  let out = "";
  for (const b of utf8(value)) out += isBareByte(b) ? String.fromCharCode(b) : octal(b);
  return `$'${out}'`;
}

/** The `bash` format, also used for `zsh`. */
export const bash: Format = {
  render(vars: readonly EnvVar[]): string {
    checkVars(vars);
    return vars.map(([n, v]) => `export ${n}=${dollarQuote(v)};`).join(" ") + "\n";
  },
  unset(names: readonly string[]): string {
    checkNames(names);
    return names.map((n) => `unset ${n};`).join(" ") + "\n";
  },
};
