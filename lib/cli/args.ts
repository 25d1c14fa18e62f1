/**
 * Argument parsing shared by every command: node:util `parseArgs` semantics in strict mode
 * (same values, same errors) with runprov's messages, without loading `node:util`.
 */
import { clipped, usageError } from "../errors.ts";

/** One option of a command: `--name VALUE` (string) or `--name` (boolean). */
export interface OptionDef {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

/** A command's options by long name. */
export type OptionSpec = Record<string, OptionDef>;

interface Token {
  kind: "option" | "positional";
  name: string;
  rawName: string;
  value: string | undefined;
  inlineValue: boolean;
}

/**
 * node:util `parseArgs({ args, options, allowPositionals, strict: true })`, for the option
 * kinds runprov uses (string, boolean, multiple, one-letter `short`); throws node's messages.
 *
 * @example
 * parseStrict(["--out", "-"], { out: { type: "string" } }, false).values.out; // "-"
 */
export function parseStrict(
  args: readonly string[],
  options: OptionSpec,
  allowPositionals: boolean,
): ParsedArgs {
  const has = (name: string) => Object.hasOwn(options, name);
  const typeOf = (name: string) => (has(name) ? options[name].type : undefined);
  const longFor = (short: string) =>
    Object.keys(options).find((k) => options[k].short === short) ?? short;
  const tokens: Token[] = [];
  const rest = [...args];
  while (rest.length > 0) {
    const arg = rest.shift()!;
    const next = rest[0];
    if (arg === "--") {
      for (const v of rest) tokens.push(positional(v));
      break;
    }
    if (arg.length === 2 && arg[0] === "-" && arg[1] !== "-") {
      const name = longFor(arg[1]);
      const value = typeOf(name) === "string" && next !== undefined ? rest.shift() : undefined;
      tokens.push({ kind: "option", name, rawName: arg, value, inlineValue: false });
      continue;
    }
    if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
      if (typeOf(longFor(arg[1])) !== "string") {
        // A group of short options (`-hx`): one at a time; a string option takes the rest.
        const expanded: string[] = [];
        for (let i = 1; i < arg.length; i++) {
          if (typeOf(longFor(arg[i])) !== "string" || i === arg.length - 1) {
            expanded.push(`-${arg[i]}`);
          } else {
            expanded.push(`-${arg[i]}`, arg.slice(i + 1));
            break;
          }
        }
        rest.unshift(...expanded);
      } else {
        const name = longFor(arg[1]);
        tokens.push({
          kind: "option",
          name,
          rawName: `-${arg[1]}`,
          value: arg.slice(2),
          inlineValue: true,
        });
      }
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      const eq = arg.indexOf("=", 3);
      if (eq === -1) {
        const name = arg.slice(2);
        const value = typeOf(name) === "string" && next !== undefined ? rest.shift() : undefined;
        tokens.push({ kind: "option", name, rawName: arg, value, inlineValue: false });
      } else {
        const name = arg.slice(2, eq);
        tokens.push({
          kind: "option",
          name,
          rawName: `--${name}`,
          value: arg.slice(eq + 1),
          inlineValue: true,
        });
      }
      continue;
    }
    tokens.push(positional(arg));
  }
  const values: ParsedArgs["values"] = Object.create(null);
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") {
      if (!allowPositionals) {
        throw new TypeError(
          `Unexpected argument '${t.name}'. This command does not take positional arguments`,
        );
      }
      positionals.push(t.name);
      continue;
    }
    if (!has(t.name)) {
      throw new TypeError(
        `Unknown option '${t.rawName}'` +
          (allowPositionals
            ? `. To specify a positional argument starting with a '-', place it at the end of ` +
              `the command after '--', as in '-- ${JSON.stringify(t.rawName)}`
            : ""),
      );
    }
    const def = options[t.name];
    const shortAndLong = `${def.short ? `-${def.short}, ` : ""}--${t.name}`;
    if (def.type === "string" && typeof t.value !== "string") {
      throw new TypeError(`Option '${shortAndLong} <value>' argument missing`);
    }
    if (def.type === "boolean" && t.value !== undefined) {
      throw new TypeError(`Option '${shortAndLong}' does not take an argument`);
    }
    if (!t.inlineValue && t.value !== undefined && t.value.length > 1 && t.value[0] === "-") {
      const example = t.rawName.startsWith("--")
        ? `'${t.rawName}=-XYZ'`
        : `'--${t.name}=-XYZ' or '${t.rawName}-XYZ'`;
      throw new TypeError(
        `Option '${t.rawName}' argument is ambiguous.\n` +
          `Did you forget to specify the option argument for '${t.rawName}'?\n` +
          `To specify an option argument starting with a dash use ${example}.`,
      );
    }
    if (t.name === "__proto__") continue;
    const v = t.value ?? true;
    if (def.multiple) {
      const prev = values[t.name];
      if (Array.isArray(prev)) prev.push(v);
      else values[t.name] = [v];
    } else values[t.name] = v;
  }
  return { values, positionals };
}

function positional(value: string): Token {
  return { kind: "positional", name: value, rawName: value, value, inlineValue: false };
}

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
    return parseStrict(
      args,
      { help: { type: "boolean", short: "h" }, ...options },
      allowPositionals,
    );
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
    const name = (err as Error).message.match(/^Unknown option '([^']*)'/)?.[1];
    throw usageError(
      `${command}: ${msg}`,
      (name !== undefined && globalOptionHint(name, command)) ||
        `see 'runprov ${command} --help'`,
    );
  }
}

/**
 * Where a global option goes, for one met after the command (null: not a global option).
 *
 * @example
 * globalOptionHint("-q", "stamp"); // "-q is a global option: it goes before the command, as in 'runprov -q stamp ...'"
 */
export function globalOptionHint(option: string, command: string): string | null {
  const before = (example: string) =>
    `${option} is a global option: it goes before the command, as in ` +
    `'runprov ${example} ${command} ...'`;
  switch (option) {
    case "-q":
    case "--quiet":
      return before(option);
    case "-C":
      return before("-C DIR");
    case "--config":
      return before("--config FILE");
    case "-V":
    case "--version":
      return `${option} is a global option: 'runprov ${option}' prints the version`;
  }
  return null;
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
