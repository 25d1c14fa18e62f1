/**
 * fish: `set -gx K '…';` on one line. Inside single quotes only `\` and `'` are escaped;
 * tab, CR and LF go outside the quotes as `\t \r \n`, other control bytes and every byte
 * >= 0x80 as `\XHH`, so `| source` and `eval (…)` read the same bytes. Pure.
 */
import { checkNames, checkVars, type EnvVar, type Format, utf8 } from "./common.ts";

/**
 * A fish word for `value`.
 *
 * @example
 * fishQuote("a'b\n"); // "'a\\'b'\\n"
 */
export function fishQuote(value: string): string {
  if (value === "") return "''";
  let out = "";
  let quoted = "";
  const flush = () => {
    if (quoted !== "") out += `'${quoted}'`;
    quoted = "";
  };
  for (const b of utf8(value)) {
    if (b >= 0x20 && b < 0x7f) {
      quoted += b === 0x5c ? "\\\\" : b === 0x27 ? "\\'" : String.fromCharCode(b);
    } else {
      flush();
      if (b === 0x09) out += "\\t";
      else if (b === 0x0a) out += "\\n";
      else if (b === 0x0d) out += "\\r";
      else out += "\\X" + b.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  flush();
  return out;
}

/** The `fish` format. */
export const fish: Format = {
  render(vars: readonly EnvVar[]): string {
    checkVars(vars);
    return vars.map(([n, v]) => `set -gx ${n} ${fishQuote(v)};`).join(" ") + "\n";
  },
  unset(names: readonly string[]): string {
    checkNames(names);
    return names.map((n) => `set -e ${n};`).join(" ") + "\n";
  },
};
