/**
 * PowerShell: `$env:K='…';`. Inside single quotes `'` and its look-alikes U+2018–U+201B
 * (which PowerShell also reads as single quotes) are doubled; line breaks and other
 * control characters are joined in as `"`n"`, `"`r"`, `"`t"` or `[char]0xHHHH`, so the
 * output stays one line (PowerShell reads command output line by line). Pure.
 */
import { checkNames, checkVars, type EnvVar, type Format } from "./common.ts";

const QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/**
 * A PowerShell expression for `value`.
 *
 * @example
 * pwshQuote("it's\nok"); // "'it''s'+\"`n\"+'ok'"
 */
export function pwshQuote(value: string): string {
  const parts: string[] = [];
  let run = "";
  const flush = () => {
    if (run !== "") parts.push(`'${run.replace(QUOTES, (q) => q + q)}'`);
    run = "";
  };
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    const special = c < 0x20 || c === 0x7f || c === 0x85 || c === 0x2028 || c === 0x2029;
    if (!special) {
      run += ch;
      continue;
    }
    flush();
    if (c === 0x0a) parts.push('"`n"');
    else if (c === 0x0d) parts.push('"`r"');
    else if (c === 0x09) parts.push('"`t"');
    else parts.push(`[char]0x${c.toString(16).toUpperCase().padStart(4, "0")}`);
  }
  flush();
  if (parts.length === 0) return "''";
  // [char] + string would convert the string to a char: start from a string.
  if (parts[0].startsWith("[char]")) parts.unshift("''");
  return parts.join("+");
}

/** The `pwsh` (PowerShell) format. */
export const pwsh: Format = {
  render(vars: readonly EnvVar[]): string {
    checkVars(vars);
    return vars.map(([n, v]) => `$env:${n}=${pwshQuote(v)};`).join(" ") + "\n";
  },
  unset(names: readonly string[]): string {
    checkNames(names);
    return names
      .map((n) => `Remove-Item -LiteralPath 'env:${n}' -ErrorAction SilentlyContinue;`)
      .join(" ") + "\n";
  },
};
