/**
 * What `runprov diff` says besides the code: the facts of two runs' records that differ
 * (branch, describe, command, policy, host, created_at) and their environments (python,
 * packages, driver, variables), as header lines. Pure.
 */
import type { RunRecord } from "../run/record.ts";
import { clipped } from "../errors.ts";
import { environmentDiff, renderEnvironmentDiff } from "../environment/compare.ts";

/** One side of a diff: a run, or this checkout (`HEAD`, `WORKTREE`). */
export interface Side {
  /** The run id, `HEAD` or `WORKTREE`. */
  label: string;
  /** The commit whose tree is this side's code. */
  commit: string;
  /** That commit's tree, when already known. */
  tree?: string;
  /** How the code was found, in words (`snapshot of abc123 + patch`). */
  what: string;
  record: RunRecord | null;
  /** For `HEAD`/`WORKTREE`: the checkout's branch and describe now. */
  branch?: string | null;
  describe?: string | null;
}

/** The record fields the header compares, in order, with how each is shown. */
export const COMPARED_FIELDS: readonly [string, (s: Side) => string | null][] = [
  ["branch", (s) => s.record ? s.record.git.branch ?? "(detached)" : s.branch ?? null],
  ["describe", (s) => s.record ? s.record.git.describe ?? null : s.describe ?? null],
  ["command", (s) => s.record?.command ? JSON.stringify(s.record.command.argv) : null],
  [
    "policy",
    (s) => s.record?.policy ? `${s.record.policy.mode}: ${s.record.policy.verdict}` : null,
  ],
  ["host", (s) => s.record?.host?.hostname ?? null],
  ["created_at", (s) => s.record?.created_at ?? null],
];

/** A value as one printable line: control characters made visible, long values clipped. */
function visible(v: string | null): string {
  if (v === null) return "-";
  // deno-lint-ignore no-control-regex
  const shown = /[\x00-\x1f\x7f\u2028\u2029]/.test(v) ? JSON.stringify(v) : v;
  return clipped(shown, 120);
}

/**
 * The header of `runprov diff A B`: both sides' code, then each compared field whose values
 * differ, as `# ` lines (git apply skips them).
 *
 * @example
 * diffHeader(a, b)[0]; // "# runprov diff a1 b2"
 */
export function diffHeader(a: Side, b: Side): string[] {
  const lines = [
    `# runprov diff ${a.label} ${b.label}`,
    `# ${a.label}: ${a.commit.slice(0, 12)} (${a.what})`,
    `# ${b.label}: ${b.commit.slice(0, 12)} (${b.what})`,
  ];
  const width = Math.max(...COMPARED_FIELDS.map(([f]) => f.length)) + 1;
  for (const [field, get] of COMPARED_FIELDS) {
    const va = get(a);
    const vb = get(b);
    // HEAD and WORKTREE have no record: only what they do have is compared.
    if (va === vb || (va === null && !a.record) || (vb === null && !b.record)) continue;
    lines.push(`# ${`${field}:`.padEnd(width)} ${visible(va)} -> ${visible(vb)}`);
  }
  // Two records: what else produced the result (a checkout now has no recorded environment).
  if (a.record && b.record && (a.record.environment || b.record.environment)) {
    const env = environmentDiff(a.record.environment ?? null, b.record.environment ?? null);
    lines.push(...renderEnvironmentDiff(env, a.label, b.label).map((l) => `# ${l}`));
  }
  return lines;
}
