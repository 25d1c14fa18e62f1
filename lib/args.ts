/** Argument parsing shared by every command: node:util parseArgs with runprov's errors. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { clipped, usageError } from "./errors.ts";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options that name a value, by spelling, so errors can say `--run-id ID`. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * Parse a command's arguments strictly; unknown options and missing values are usage
 * errors (exit 2) that name the command and point at its --help.
 */
export function parseCommandArgs(
  command: string,
  args: string[],
  options: OptionSpec,
  allowPositionals = false,
): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { help: { type: "boolean", short: "h" }, ...options },
      allowPositionals,
      strict: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (err) {
    const msg = (err as Error).message
      .replace(/^Unknown option '([^']*)'.*$/s, "unknown option $1")
      .replace(/\. To specify a positional argument starting with a '-'.*$/s, "")
      .replace(/^Option '([^']*)' argument missing$/s, "option $1 needs a value")
      .replace(/^Unexpected argument '([^']*)'.*$/s, "unexpected argument '$1'")
      // An argv string can be 128 KiB: never repeat one whole.
      .replace(
        /'([^']*)'|(--?\S+)/g,
        (m, q, o) => q !== undefined ? `'${clipped(q)}'` : clipped(o ?? m),
      );
    throw usageError(`${command}: ${msg}`, `see 'runprov ${command} --help'`);
  }
}

/** A string option's value, or undefined; a repeated single option takes the last. */
export function str(v: ParsedArgs["values"][string]): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === "string" ? v : undefined;
}
