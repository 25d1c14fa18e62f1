/**
 * What every output format shares: the checks that apply to all of them, the error a
 * refused value raises, and byte-level helpers. Pure.
 */
import type { EnvVar } from "../exports/variables.ts";
import { Exit, RunprovError } from "../errors.ts";

export type { EnvVar };

/** One output format: how to set variables and, where the format can say it, unset them. */
export interface Format {
  /** Render the statements that set `vars`, in order; throws {@link unrepresentable}. */
  render(vars: readonly EnvVar[]): string;
  /** Render the statements that remove `names`; absent when the format cannot express it. */
  unset?(names: readonly string[]): string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The error for a value a format cannot carry safely: exit 2, naming the variable and why.
 *
 * @example
 * throw unrepresentable("tcsh", "RUNPROV_GIT_BRANCH", "it contains a newline");
 */
export function unrepresentable(format: string, name: string, why: string): RunprovError {
  return new RunprovError(
    `cannot print ${name} as ${format}: ${why}`,
    Exit.usage,
    format === "all formats"
      ? "runprov refuses it rather than guess; inspect the record with 'runprov stamp --out -'"
      : "choose a format that can carry it (sh, bash, fish, pwsh or json), or rename the branch/tag",
  );
}

/**
 * Checks every format applies before quoting: a valid variable name, no NUL, and valid
 * Unicode (U+FFFD is what a lossy decode of invalid UTF-8 from git leaves behind; a lone
 * surrogate cannot be encoded at all).
 */
export function checkVar(name: string, value: string): void {
  if (!NAME.test(name)) {
    throw new RunprovError(`invalid variable name ${JSON.stringify(name)}`, Exit.internal);
  }
  if (value.includes("\0")) throw unrepresentable("all formats", name, "its value contains NUL");
  if (value.includes("\uFFFD")) {
    throw unrepresentable(
      "all formats",
      name,
      "its value is not valid UTF-8 (git gave bytes that decode to U+FFFD)",
    );
  }
  if (!value.isWellFormed()) {
    throw unrepresentable("all formats", name, "its value holds a lone UTF-16 surrogate");
  }
}

/** Check every name and value of `vars` with {@link checkVar}. */
export function checkVars(vars: readonly EnvVar[]): void {
  for (const [name, value] of vars) checkVar(name, value);
}

/** Check only the names (for unset statements). */
export function checkNames(names: readonly string[]): void {
  for (const name of names) checkVar(name, "");
}

const encoder = new TextEncoder();

/** The UTF-8 bytes of a string. */
export function utf8(value: string): Uint8Array {
  return encoder.encode(value);
}

/** A byte as a backslash and three octal digits (`\052`). */
export function octal(byte: number): string {
  return "\\" + byte.toString(8).padStart(3, "0");
}

/**
 * Bytes that every shell format writes literally: letters, digits and `_ . / + @ -`. Everything
 * else is escaped, so the output holds no glob, IFS-prone (`:` `,` `=`) or quote characters
 * inside values.
 */
export function isBareByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
    b === 0x5f || b === 0x2e || b === 0x2f || b === 0x2b || b === 0x40 || b === 0x2d;
}

/** True when every character of `value` is a bare byte (see {@link isBareByte}). */
export function isBare(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (!isBareByte(value.charCodeAt(i))) return false;
  }
  return true;
}
