/**
 * GitHub Actions `$GITHUB_ENV`: `K<<D`, the value, `D`, with a fresh delimiter
 * `ghadelimiter_<128-bit hex>` per run (as actions/toolkit does). A name or value holding
 * the delimiter, or a carriage return (the runner reads the file line by line), is refused.
 * No unset form. Pure apart from the random delimiter.
 */
import { checkVars, type EnvVar, type Format, unrepresentable } from "./common.ts";

/** A fresh `ghadelimiter_<32 hex digits>` from the CSPRNG. */
export function newDelimiter(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "ghadelimiter_" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `$GITHUB_ENV` text for `vars` with the given delimiter.
 *
 * @example
 * renderGha([["A", "x"]], "ghadelimiter_00"); // "A<<ghadelimiter_00\nx\nghadelimiter_00\n"
 */
export function renderGha(vars: readonly EnvVar[], delimiter: string): string {
  checkVars(vars);
  let out = "";
  for (const [n, v] of vars) {
    if (v.includes("\r")) {
      throw unrepresentable("gha", n, "its value contains a carriage return");
    }
    if (n.includes(delimiter) || v.includes(delimiter)) {
      throw unrepresentable("gha", n, `its value contains the delimiter ${delimiter}`);
    }
    out += `${n}<<${delimiter}\n${v}\n${delimiter}\n`;
  }
  return out;
}

/** The `gha` ($GITHUB_ENV) format, with a fresh delimiter per render (no unset form). */
export const gha: Format = {
  render(vars: readonly EnvVar[]): string {
    return renderGha(vars, newDelimiter());
  },
};
