/**
 * tcsh/csh: `setenv K …;` on one line. A value of bare bytes stays bare; one that adds only
 * printable ASCII other than `' ! { } * ? [ \` and space goes inside single quotes; any
 * other value is produced whole by one ``"`printf '<octal>'`"`` (bare bytes literal, the
 * rest as `\ooo`), so neither history (`!`), brace or glob expansion nor word splitting can
 * touch it, quoted or unquoted `eval`. CR and LF cannot be carried (tcsh splits them even
 * inside quotes) and are refused. Pure.
 */
import {
  checkNames,
  checkVars,
  type EnvVar,
  type Format,
  isBare,
  unrepresentable,
} from "./common.ts";
import { printfOctal } from "./sh.ts";

/** Printable ASCII that tcsh keeps literal inside single quotes, even under eval. */
const QUOTABLE = /^[\x21-\x7e]*$/;
const NOT_QUOTABLE = /['!{}*?[\\]/;

/**
 * A tcsh word for `value` (throws for CR/LF, naming `name`).
 *
 * @example
 * tcshQuote("X", "a b!"); // "\"`printf 'a\\040b\\041'`\""
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
  if (isBare(value)) return value;
  if (QUOTABLE.test(value) && !NOT_QUOTABLE.test(value)) return `'${value}'`;
  return `"\`printf '${printfOctal(value)}'\`"`;
}

/** The `tcsh` format (csh too). */
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
