/** `runprov verify`'s comparison: is this checkout exactly a run's code? Pure. */
import { clipped, shownPath } from "../errors.ts";

/** The code a run used, from its record or its tag. */
export interface ExpectedCode {
  runId: string;
  sha: string;
  /** null: unknown (a tag made with --commit alone). */
  dirty: boolean | null;
  /** Paths the run had changed (empty when only a tag is known). */
  changed: string[];
  /** `untracked`: the patch holds the run's untracked files too (they counted). */
  patch: { sha256: string; truncated: boolean; untracked?: boolean } | null;
  /** Untracked files counted toward the run's `dirty` (config `untracked: "dirty"`). */
  untrackedCounts?: boolean;
  /** How this form of the run's code is named in messages (`its snapshot abc123`). */
  label?: string;
}

/** The checkout now. */
export interface CurrentCode {
  sha: string;
  dirty: boolean;
  changed: string[];
  /** sha256 of `currentPatch` (run/patch.ts) now; null when not computed (clean checkout). */
  patchSha256: string | null;
}

/** The verdict: `ok`, or the differences in words. */
export interface VerifyResult {
  ok: boolean;
  differences: string[];
}

function listPaths(title: string, paths: string[]): string {
  const shown = paths.slice(0, 20).map((p) => `    ${shownPath(p)}`);
  if (paths.length > 20) shown.push(`    ... and ${paths.length - 20} more`);
  return [title, ...shown].join("\n");
}

/**
 * Compare a run's code with the checkout: same commit, and either both clean or the
 * current tracked diff hashing to the run's recorded patch.
 *
 * @example
 * compareCode(expected, current).ok; // true when commit and tree state match
 */
export function compareCode(e: ExpectedCode, c: CurrentCode): VerifyResult {
  const d: string[] = [];
  if (e.sha !== c.sha) {
    d.push(
      `commit differs: run ${clipped(e.runId)} used ${clipped(e.sha)}, checkout is at ${c.sha}`,
    );
  }
  if (e.dirty === false || e.dirty === null) {
    if (c.dirty) d.push(listPaths("extra changes (the run's tree was clean):", c.changed));
    return { ok: d.length === 0, differences: d };
  }
  if (!c.dirty) {
    d.push(
      e.changed.length
        ? listPaths("missing changes (the run had uncommitted changes):", e.changed)
        : "missing changes: the run had uncommitted changes, the checkout has none",
    );
    return { ok: false, differences: d };
  }
  if (e.patch === null) {
    d.push(
      "cannot prove equality: the run was dirty and its record has no patch to compare with",
    );
    return { ok: false, differences: d };
  }
  if (e.patch.truncated) {
    d.push(
      "cannot prove equality: the run's recorded patch was truncated (patch.max_bytes), " +
        "so its sha256 does not cover every change",
    );
    return { ok: false, differences: d };
  }
  if (c.patchSha256 !== e.patch.sha256) {
    const was = new Set(e.changed);
    const now = new Set(c.changed);
    const extra = c.changed.filter((p) => !was.has(p));
    const missing = e.changed.filter((p) => !now.has(p));
    if (extra.length) d.push(listPaths("extra changes:", extra));
    if (missing.length) d.push(listPaths("missing changes:", missing));
    d.push(
      `uncommitted changes differ: diff sha256 ${c.patchSha256?.slice(0, 16)}..., ` +
        `the run's patch ${e.patch.sha256.slice(0, 16)}...`,
    );
  }
  return { ok: d.length === 0, differences: d };
}
