/**
 * POSIX sh (dash, bash, zsh, busybox ash): `K=v;export K;` for bare values, otherwise
 * `K=$(printf '<octal>x');K=${K%x};export K;`. The output is one line whose words hold no
 * glob, quote-sensitive or IFS-prone characters, so `eval $(…)` and `eval "$(…)"` agree.
 * Pure.
 */
import {
  checkNames,
  checkVars,
  type EnvVar,
  type Format,
  isBare,
  isBareByte,
  octal,
  utf8,
} from "./common.ts";

/** The printf format string for `value`: bare bytes as-is, every other byte as `\ooo`. */
export function printfOctal(value: string): string {
  let out = "";
  const bytes = utf8(value);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    // A leading '-' would read as a printf option.
    out += isBareByte(b) && !(i === 0 && b === 0x2d) ? String.fromCharCode(b) : octal(b);
  }
  return out;
}

/**
 * One sh assignment and export.
 *
 * @example
 * shAssign("A", "x y"); // "A=$(printf 'x\\040yx');A=${A%x};export A;"
 */
export function shAssign(name: string, value: string): string {
  if (value === "") return `${name}='';export ${name};`;
  if (isBare(value)) return `${name}=${value};export ${name};`;
  // The trailing 'x' keeps trailing newlines from being stripped by $(…).
  return `${name}=$(printf '${printfOctal(value)}x');${name}=\${${name}%x};export ${name};`;
}

/** The `sh` format (the default). */
export const sh: Format = {
  render(vars: readonly EnvVar[]): string {
    checkVars(vars);
    return vars.map(([n, v]) => shAssign(n, v)).join(" ") + "\n";
  },
  unset(names: readonly string[]): string {
    checkNames(names);
    return names.map((n) => `unset ${n};`).join(" ") + "\n";
  },
};
