/** Run ids: generated (8 lowercase base36 characters, like W&B) or given by the user. */
import { shown, usageError } from "../errors.ts";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A fresh run id: 8 characters of lowercase base36 from the system CSPRNG.
 *
 * @example
 * newRunId(); // "k3x9q0ab"
 */
export function newRunId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  // 252 = 7 * 36: reject bytes >= 252 to avoid modulo bias.
  let id = "";
  while (id.length < 8) {
    for (const b of bytes) {
      if (b < 252 && id.length < 8) id += ALPHABET[b % 36];
    }
    crypto.getRandomValues(bytes);
  }
  return id;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Why `id` is not a valid user-given run id, or null when it is. An id becomes a file
 * name and a git ref name, so the rules are narrower than either.
 *
 * @example
 * runIdProblem("exp.1"); // null
 * runIdProblem("a..b"); // "it contains '..'"
 */
export function runIdProblem(id: string): string | null {
  if (id === "") return "it is empty";
  if (id.length > 128) return `it is ${id.length} characters long (at most 128)`;
  if (!/^[A-Za-z0-9]/.test(id)) return "it must start with a letter or digit";
  const bad = [...id].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad !== undefined) {
    return `it contains ${shown(bad)} (allowed: letters, digits, '.', '_', '-')`;
  }
  if (!ID_RE.test(id)) return "it does not match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";
  if (id.includes("..")) return "it contains '..'";
  if (id.endsWith(".")) return "it ends with '.'";
  if (id.toLowerCase().endsWith(".lock")) return "it ends with '.lock'";
  return null;
}

/** Throw a usage error (exit 2) unless `id` is a valid run id; return it otherwise. */
export function checkRunId(id: string, source = "--run-id"): string {
  const problem = runIdProblem(id);
  if (problem) {
    throw usageError(
      `invalid run id ${shown(id)} (${source}): ${problem}`,
      "use letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. --run-id exp-42",
    );
  }
  return id;
}
