/**
 * The output formats of `runprov env` by name, and the one pure function that turns
 * variables into the text a format prints (or refuses them).
 */
import type { EnvVar, Format } from "./common.ts";
import { shown, usageError } from "../errors.ts";
import { sh } from "./sh.ts";
import { bash } from "./bash.ts";
import { fish } from "./fish.ts";
import { tcsh } from "./tcsh.ts";
import { pwsh } from "./pwsh.ts";
import { json } from "./json.ts";
import { dotenv } from "./dotenv.ts";
import { gha } from "./gha.ts";

export type { EnvVar, Format };

/** Every format, by the name `--format` takes (zsh shares bash's `$'…'` quoting). */
export const FORMATS: Readonly<Record<string, Format>> = {
  sh,
  bash,
  zsh: bash,
  fish,
  tcsh,
  pwsh,
  json,
  dotenv,
  gha,
};

/** The format names, in the order help lists them. */
export const FORMAT_NAMES: readonly string[] = Object.keys(FORMATS);

/** Look a format up by name; an unknown name is a usage error listing the valid ones. */
export function formatNamed(name: string): Format {
  const f = Object.hasOwn(FORMATS, name) ? FORMATS[name] : undefined;
  if (!f) {
    throw usageError(
      `unknown format ${shown(name)}`,
      `use one of: ${FORMAT_NAMES.join(", ")}`,
    );
  }
  return f;
}

/**
 * The full text `runprov env` prints for `vars` in format `name`: the exports, or with
 * `unset` the statements removing them. Throws (printing nothing) for a value the format
 * cannot carry, and for `unset` in a format without an unset form.
 *
 * @example
 * renderExports("sh", [["A", "1"]]); // "A=1;export A;\n"
 */
export function renderExports(name: string, vars: readonly EnvVar[], unset = false): string {
  const f = formatNamed(name);
  if (!unset) return f.render(vars);
  if (!f.unset) {
    throw usageError(
      `--unset is not available for --format ${name}: ${name} has no way to remove a variable`,
      "in GitHub Actions set the variable to an empty value; with dotenv, drop the line",
    );
  }
  return f.unset(vars.map(([n]) => n));
}
