/**
 * The environment variables a run records: names matching the allowlist globs (config
 * `environment.vars`), never a name matching a secret pattern, whatever the allowlist says.
 * Pure.
 */
import type { VarsFacts } from "./facts.ts";

/** Names that are never recorded (matched case-insensitively), even when allowlisted. */
export const SECRET_PATTERNS: readonly string[] = [
  "*TOKEN*",
  "*KEY*",
  "*SECRET*",
  "*PASSWORD*",
  "*PASSWD*",
  "*CREDENTIAL*",
];

/**
 * A glob over variable names as a RegExp: `*` any run of characters, `?` one character,
 * `[...]` a class (`[!...]` negated); everything else literal.
 *
 * @example
 * nameGlob("NCCL_*").test("NCCL_DEBUG"); // true
 */
export function nameGlob(glob: string, ignoreCase = false): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      re += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, ignoreCase ? "si" : "s");
}

const SECRETS = SECRET_PATTERNS.map((p) => nameGlob(p, true));

/** Does a variable name look like it holds a secret? */
export function isSecretName(name: string): boolean {
  return SECRETS.some((re) => re.test(name));
}

/**
 * The allowlisted variables of `env`, sorted by name; secrets are withheld by name only.
 *
 * @example
 * captureVars({ NCCL_DEBUG: "INFO", NCCL_TOKEN: "x", HOME: "/h" }, ["NCCL_*"]);
 * // { values: { NCCL_DEBUG: "INFO" }, withheld: ["NCCL_TOKEN"] }
 */
export function captureVars(env: Record<string, string>, globs: readonly string[]): VarsFacts {
  const allow = globs.map((g) => nameGlob(g));
  const values: Record<string, string> = {};
  const withheld: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!allow.some((re) => re.test(name))) continue;
    if (isSecretName(name)) withheld.push(name);
    else values[name] = env[name];
  }
  return { values, withheld };
}
