/**
 * The options a `--help` text documents, read back from the text itself: the help texts
 * are the one description of every command's options, so shell completions and the
 * reference docs check are derived from them, never from a second list. Pure.
 */

/** One option line of a help text. */
export interface HelpOption {
  /** `--format`; absent for an option that has only a short form (`-C DIR`). */
  long?: string;
  /** `-q`, when the line gives a short form. */
  short?: string;
  /** The value's placeholder (`FORMAT`, `FILE`), when the option takes one. */
  value?: string;
  /** True for `--push[=REMOTE]` / `--push [REMOTE]`: the value may be left out. */
  optionalValue: boolean;
  /** The line's description (the text after the option), possibly empty. */
  description: string;
}

const VALUE = "([A-Z][A-Z0-9_|.-]*)";
const OPTION_LINE = new RegExp(
  "^ {2,4}(?:(-[A-Za-z])(?:, |(?= )))?(--[a-z][a-z0-9-]*)?" +
    `(?:(?: ?\\[=?)${VALUE}\\]|[= ]${VALUE})?(?: {2,}(.*))?$`,
);

/**
 * Every option line of a help text (indented `--long`, `-s, --long`, with an optional
 * `VALUE`, `=VALUE` or `[VALUE]`), in order, each long option once.
 *
 * @example
 * optionsInHelp("Options:\n  --format FORMAT   sh | bash\n  -q, --quiet  no notes\n")
 *   .map((o) => o.long); // ["--format", "--quiet"]
 * optionsInHelp("  -C DIR   run in DIR\n  --push [REMOTE]  push it\n")
 *   .map((o) => [o.short ?? o.long, o.value, o.optionalValue]);
 * // [["-C", "DIR", false], ["--push", "REMOTE", true]]
 */
export function optionsInHelp(help: string): HelpOption[] {
  const out: HelpOption[] = [];
  const seen = new Set<string>();
  for (const line of help.split("\n")) {
    const m = OPTION_LINE.exec(line);
    const key = m?.[2] ?? m?.[1];
    if (!m || !key || seen.has(key)) continue;
    seen.add(key);
    const value = m[3] ?? m[4];
    out.push({
      ...(m[2] ? { long: m[2] } : {}),
      ...(m[1] ? { short: m[1] } : {}),
      ...(value ? { value } : {}),
      optionalValue: m[3] !== undefined,
      description: (m[5] ?? "").trim(),
    });
  }
  return out;
}
