/**
 * Snapshot names and rules without git: where a run's snapshot ref lives, what an object id
 * looks like, and whether a record can have a snapshot at all. Pure.
 */
import type { RunRecord } from "../run/record.ts";

/** Where snapshot refs live. */
export const SNAPSHOT_PREFIX = "refs/runprov/snapshots/";

/** The ref of run `id`'s snapshot. */
export function snapshotRef(id: string): string {
  return `${SNAPSHOT_PREFIX}${id}`;
}

/** Object ids: 40 hex digits (SHA-1) or 64 (SHA-256). */
export function isObjectId(s: string | null | undefined): s is string {
  return typeof s === "string" && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(s);
}

/**
 * Why a record cannot have a snapshot, from the record alone (null: it can, given its
 * commit is in the repository): no git facts, or a dirty run without a complete patch.
 *
 * @example
 * snapshotProblem(cleanRecord); // null
 */
export function snapshotProblem(r: RunRecord): string | null {
  const g = r.git;
  if (!g || g.available === false || !isObjectId(g.sha)) {
    return `run ${r.run_id} was recorded without git (${g?.reason ?? "no commit"})`;
  }
  if (!g.dirty) return null;
  if (!g.patch) {
    return `run ${r.run_id} was dirty and its record has no patch (patch.capture was off, ` +
      `the record went to stdout, or storing the patch failed)`;
  }
  if (g.patch.truncated) {
    return `run ${r.run_id}'s patch was cut at ${g.patch.bytes} bytes (patch.max_bytes), ` +
      `so it does not hold every change the run had`;
  }
  return null;
}
