/** The clean-tree policy: given the git facts and a mode, proceed, warn or refuse. Pure. */
import type { GitFacts } from "./capture.ts";
import { clipped, Exit, shownPath } from "../errors.ts";

export const POLICY_MODES = ["strict", "warn", "off"] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

/**
 * The `policy` section of a record. `verdict`: `clean`, `dirty` (proceeded under warn or
 * off), `allowed` (strict, dirty, `--allow-dirty`), `unavailable` (no git facts, proceeded),
 * or `refused`.
 */
export interface PolicyRecord {
  mode: PolicyMode;
  verdict: "clean" | "dirty" | "allowed" | "unavailable" | "refused";
  reason: string | null;
}

/** A decision: the record's section, plus what to print and how to exit when refused. */
export interface Decision {
  record: PolicyRecord;
  /** Exit code when refused (3 or 4), else 0. */
  exitCode: number;
  /** One-line warning for stderr (warn mode), or the refusal message; null when silent. */
  message: string | null;
  /** What to do about a refusal or warning. */
  hint: string | null;
}

const MAX_LISTED = 20;

/** Failures that are "git unusable" (exit 4) rather than "no repository" (exit 3). */
const GIT_UNUSABLE = new Set([
  "git-not-found",
  "dubious-ownership",
  "unborn-head",
  "corrupt-head",
  "timeout",
  "bad-config",
  "bad-index",
  "git-failed",
]);

/**
 * Decide what the policy says about a capture.
 *
 * @example
 * decide("strict", facts).exitCode; // 3 when facts.dirty
 */
export function decide(mode: PolicyMode, facts: GitFacts, allowDirty?: string): Decision {
  if (!facts.available) {
    const code = facts.reason_code && GIT_UNUSABLE.has(facts.reason_code) ? Exit.git : Exit.policy;
    if (mode === "strict") {
      return {
        record: { mode, verdict: "refused", reason: facts.reason },
        exitCode: code,
        message: `strict policy: cannot record the code of this run: ${facts.reason}`,
        hint: unavailableHint(facts),
      };
    }
    return {
      record: { mode, verdict: "unavailable", reason: facts.reason },
      exitCode: 0,
      message: mode === "warn"
        ? `warning: no git provenance (${facts.reason}); recording RUNPROV_GIT_SHA=unknown`
        : null,
      hint: null,
    };
  }
  if (!facts.dirty) {
    return {
      record: { mode, verdict: "clean", reason: null },
      exitCode: 0,
      message: null,
      hint: null,
    };
  }
  if (mode === "strict" && allowDirty === undefined) {
    return {
      record: { mode, verdict: "refused", reason: "working tree has uncommitted changes" },
      exitCode: Exit.policy,
      message: `strict policy: refusing a dirty working tree (${dirtySummary(facts)}):\n${
        dirtyList(facts)
      }`,
      hint: "commit or stash these changes, or run with --allow-dirty REASON to record why " +
        "this run may use them",
    };
  }
  if (mode === "strict") {
    return {
      record: { mode, verdict: "allowed", reason: allowDirty! },
      exitCode: 0,
      message: `warning: dirty working tree allowed: ${clipped(allowDirty!, 200)} (${
        dirtySummary(facts)
      })`,
      hint: null,
    };
  }
  return {
    record: { mode, verdict: "dirty", reason: allowDirty ?? null },
    exitCode: 0,
    message: mode === "warn"
      ? `warning: working tree is dirty (${dirtySummary(facts)}); ${facts.sha_short} alone ` +
        `does not reproduce this run`
      : null,
    hint: null,
  };
}

function unavailableHint(facts: GitFacts): string {
  switch (facts.reason_code) {
    case "not-a-repository":
      return "run inside the repository (or pass -C DIR), or use --from FILE with a record " +
        "made where the repository is, or --policy warn";
    case "git-not-found":
      return "install git or put it on PATH, or use --from FILE with a record made elsewhere";
    case "dubious-ownership":
      return `if you trust this checkout, run: git config --global --add safe.directory ${
        facts.root ?? "<repository top>"
      } (runprov never widens safe.directory to '*')`;
    case "unborn-head":
      return "make a first commit";
    case "timeout":
      return "raise RUNPROV_GIT_TIMEOUT (seconds) or check the file system";
    case "bad-config":
      return "fix the configuration git names (git cannot work in this repository until then)";
    case "bad-index":
      return "rebuild the index from HEAD, keeping the working tree (staged-only changes are " +
        'lost): f=$(git rev-parse --git-path index) && mv "$f" "$f.bad" && git reset -q';
    default:
      return "check the repository with 'git status'";
  }
}

/** "2 modified, 1 untracked" style summary of what is dirty. */
export function dirtySummary(facts: GitFacts): string {
  const counts = new Map<string, number>();
  for (const c of facts.changed) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const parts = [...counts].map(([k, n]) => `${n} ${k}`);
  if (facts.untracked_counts && facts.untracked.length > 0) {
    parts.push(`${facts.untracked.length} untracked`);
  }
  return parts.join(", ") || "changes";
}

/** The dirty paths with their kind, at most 20, then a count of the rest. */
export function dirtyList(facts: GitFacts): string {
  const lines = facts.changed.map((c) =>
    `  ${c.kind.padEnd(10)} ${c.orig_path !== undefined ? `${shownPath(c.orig_path)} -> ` : ""}${
      shownPath(c.path)
    }`
  );
  if (facts.untracked_counts) {
    for (const u of facts.untracked) lines.push(`  ${"untracked".padEnd(10)} ${shownPath(u)}`);
  }
  const shown = lines.slice(0, MAX_LISTED);
  if (lines.length > MAX_LISTED) shown.push(`  ... and ${lines.length - MAX_LISTED} more`);
  return shown.join("\n");
}
