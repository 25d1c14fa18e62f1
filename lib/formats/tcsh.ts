/**
 * tcsh/csh: `setenv K …;` on one line. Bare bytes stay bare; printable ASCII other than
 * `' ! { } * ? [ \` and space goes inside single quotes; every other byte is produced by
 * ``"`printf '\ooo'`"``, so neither history (`!`), brace or glob expansion nor word
 * splitting can touch it. CR and LF cannot be carried (tcsh splits them even inside
 * quotes) and are refused. Pure.
 */
import {
  checkNames,
  checkVars,
  type EnvVar,
  type Format,
  isBareByte,
  octal,
  unrepresentable,
  utf8,
} from "./common.ts";

const VIA_PRINTF = new Set([..."'!{}*?[\\ "].map((c) => c.charCodeAt(0)));

/**
 * A tcsh word for `value` (throws for CR/LF, naming `name`).
 *
 * @example
 * tcshQuote("X", "a b!"); // "a\"`printf '\\040'`\"b\"`printf '\\041'`\""
 */
export function tcshQuote(name: string, value: string): string {
  if (value === "") return "''";
  if (/[\r\n]/.test(value)) {
    throw unrepresentable(
      "tcsh",
      name,
      "its value contains a newline or carriage return, which tcsh cannot carry",
    );
  }
  let out = "";
  type Mode = "bare" | "quote" | "printf";
  let mode = "bare" as Mode;
  let run = "";
  const flush = () => {
    if (run === "") return;
    if (mode === "bare") out += run;
    else if (mode === "quote") out += `'${run}'`;
    else out += `"\`printf '${run}'\`"`;
    run = "";
  };
  for (const b of utf8(value)) {
    let m: Mode;
    if (isBareByte(b)) m = "bare";
    else if (b > 0x20 && b < 0x7f && !VIA_PRINTF.has(b)) m = "quote";
    else m = "printf";
    if (m !== mode) {
      flush();
      mode = m;
    }
    run += m === "printf" ? octal(b) : String.fromCharCode(b);
  }
  flush();
  return out;
}

export const tcsh: Format = {
  render(vars: readonly EnvVar[]): string {
    checkVars(vars);
    return vars.map(([n, v]) => `setenv ${n} ${tcshQuote(n, v)};`).join(" ") + "\n";
  },
  unset(names: readonly string[]): string {
    checkNames(names);
    return names.map((n) => `unsetenv ${n};`).join(" ") + "\n";
  },
};
