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
      .replace(
        /^Option '([^']*)' argument is ambiguous\..*$/s,
        "option $1 needs a value; for one starting with '-', write $1=VALUE",
      )
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

/**
 * Split `--push [REMOTE]` out of `args`: a following word that is not an option is the
 * remote (`true`: push to the default remote). Stops at `--`.
 *
 * @example
 * splitPush(["--push", "origin", "--sign"], "tag"); // { rest: ["--sign"], push: "origin" }
 */
export function splitPush(
  args: readonly string[],
  command: string,
): { rest: string[]; push: string | true | undefined } {
  const rest: string[] = [];
  let push: string | true | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (a === "--push") {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith("-")) {
        push = next;
        i++;
      } else push = true;
    } else if (a.startsWith("--push=")) {
      push = a.slice("--push=".length);
      if (push === "") throw usageError(`${command}: --push= needs a remote name`);
    } else rest.push(a);
  }
  return { rest, push };
}
