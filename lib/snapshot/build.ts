/**
 * Run snapshots: the git commit whose tree is exactly the code a run used (its recorded
 * commit plus its patch), kept at `refs/runprov/snapshots/<id>`. Built on demand from the
 * record and its patch, without touching the user's index, working tree, HEAD or branches:
 * a temporary index holding only the paths the patch touches, `git apply --cached`, then
 * `git fast-import` writes the new trees and the commit, and `git update-ref` creates the ref
 * (create-only). The commit is deterministic: same record and patch, same commit id.
 */
import { Git } from "../git/client.ts";
import type { TreeEntry } from "../git/parse.ts";
import { GitError } from "../git/runner.ts";
import { Exit, RunprovError } from "../errors.ts";
import type { RunRecord } from "../run/record.ts";
import type { StoredRecord } from "../run/store.ts";
import { patchPathFor } from "../run/patch.ts";
import { sha256OfChunks } from "../util/sha256.ts";
import { failureReason } from "../run/failure_reason.ts";
import { parseTrailers } from "../tag/names.ts";
import { join } from "../util/paths.ts";
import { isObjectId, snapshotProblem, snapshotRef } from "./names.ts";

export { isObjectId, SNAPSHOT_PREFIX, snapshotProblem, snapshotRef } from "./names.ts";

/** Author and committer of every snapshot commit (fixed, so the commit id is too). */
export const SNAPSHOT_IDENT = "runprov <runprov@localhost>";

/** A run's snapshot. */
export interface Snapshot {
  /** The snapshot commit (for a clean run: the recorded commit itself). */
  commit: string;
  /** `refs/runprov/snapshots/<id>`. */
  ref: string;
  /** The recorded commit it builds on. */
  base: string;
  /** True when the run was clean: the snapshot is the recorded commit, no new objects. */
  clean: boolean;
  /** This call made the ref (false: it was there already). */
  created: boolean;
  /** What the snapshot cannot hold, in words (edits inside submodules, for one). */
  warnings: string[];
  /** The snapshot's tree, when known without asking git again (an existing ref). */
  tree?: string;
}

/** The message of a dirty run's snapshot commit: what it is, then `Runprov-*` trailers. */
export function snapshotMessage(r: RunRecord): string {
  const lines = [
    `runprov snapshot of run ${r.run_id}`,
    "",
    `The code run ${r.run_id} used: commit ${r.git.sha} plus the run's uncommitted ` +
    `changes (its recorded patch).`,
    "",
    `Runprov-Run: ${r.run_id}`,
    `Runprov-Commit: ${r.git.sha}`,
    `Runprov-Patch-Sha256: ${r.git.patch?.sha256 ?? ""}`,
    `Runprov-Run-Created: ${r.created_at}`,
  ];
  return lines.join("\n") + "\n";
}

/** What a commit made by {@link commitWithPatch} says and when (seconds since 1970, UTC). */
export interface CommitMeta {
  message: string;
  time: number;
}

/** A record's `created_at` in whole seconds (0 when unreadable), the snapshot's date. */
export function snapshotTime(createdAt: string): number {
  const t = Date.parse(createdAt);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

/**
 * A path in git fast-import's C-style quotes: every byte outside printable ASCII, `"` and
 * `\` escaped, so any path (spaces, newlines, UTF-8) passes unchanged.
 *
 * @example
 * fastImportPath('a "b"/é'); // '"a \\"b\\"/\\303\\251"'
 */
export function fastImportPath(path: string): string {
  let out = '"';
  for (const b of new TextEncoder().encode(path)) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, "0")}`;
    else out += String.fromCharCode(b);
  }
  return out + '"';
}

/**
 * The fast-import stream of one commit on `base`: the `touched` paths become `after`'s
 * entries, or are deleted when `after` has none. The commit goes to a scratch branch that is
 * reset before the end, so fast-import updates no ref; `get-mark` prints its id.
 */
export function fastImportStream(
  base: string,
  touched: readonly string[],
  after: readonly TreeEntry[],
  meta: CommitMeta,
  scratchRef: string,
): Uint8Array {
  const enc = new TextEncoder();
  const now = new Set(after.map((e) => e.path));
  const message = enc.encode(meta.message);
  const who = `${SNAPSHOT_IDENT} ${meta.time} +0000`;
  const lines = [
    `commit ${scratchRef}`,
    "mark :1",
    `author ${who}`,
    `committer ${who}`,
    `data ${message.length}`,
  ];
  const head = enc.encode(lines.join("\n") + "\n");
  const ops = [`from ${base}`];
  for (const p of touched) if (!now.has(p)) ops.push(`D ${fastImportPath(p)}`);
  for (const e of after) ops.push(`M ${e.mode} ${e.oid} ${fastImportPath(e.path)}`);
  const tail = enc.encode(
    "\n" + ops.join("\n") + `\n\nreset ${scratchRef}\n\nget-mark :1\ndone\n`,
  );
  const out = new Uint8Array(head.length + message.length + tail.length);
  out.set(head, 0);
  out.set(message, head.length);
  out.set(tail, head.length + message.length);
  return out;
}

/**
 * A new commit on `base` whose tree is `base`'s with `patch` applied (the bytes of a
 * `git diff-index -p --binary --full-index` against `base`), written without an index of
 * the whole tree: only the paths the patch touches go into a temporary index, and
 * fast-import builds the trees around them. No ref is created; returns the commit id.
 */
export async function commitWithPatch(
  git: Git,
  top: string,
  base: string,
  patch: Uint8Array,
  meta: CommitMeta,
): Promise<string> {
  const tmp = await Deno.makeTempDir({ prefix: "runprov-snapshot-" });
  try {
    const patchFile = join(tmp, "patch");
    const index = join(tmp, "index");
    await Deno.writeFile(patchFile, patch);
    let touched: string[] = [];
    let after: TreeEntry[] = [];
    if (patch.length > 0) {
      touched = await git.patchPaths(patchFile, top);
      if (touched.length === 0) {
        throw new RunprovError(
          "the patch holds no change git can read (not a diff)",
          Exit.usage,
        );
      }
      const before = await git.treeEntries(base, touched, top);
      if (before.length > 0) await git.indexInfo(index, before, top);
      await git.applyCached(index, patchFile, top);
      after = await git.indexEntries(index, top);
    }
    const scratch = `refs/runprov/tmp/${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    const out = await git.fastImport(fastImportStream(base, touched, after, meta, scratch), top);
    const commit = out.trim().split("\n").pop() ?? "";
    if (!isObjectId(commit)) {
      throw new GitError(["fast-import"], 0, out, "git-failed", "git fast-import made no commit");
    }
    return commit;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Options of {@link snapshotOf}. */
export interface SnapshotOptions {
  /** The repository top (where git apply runs); default: the client's directory. */
  top?: string;
  /** The repository is a shallow clone (for the hint when the commit is missing). */
  shallow?: boolean;
}

/**
 * The snapshot of a stored run, built when it is not there yet and kept at
 * `refs/runprov/snapshots/<id>`. Throws RunprovError: exit 2 when the record cannot give one
 * (recorded without git, dirty without a complete patch, the patch file missing or not the
 * recorded bytes), 4 when its commit is not in this repository (shallow clone, never
 * fetched), 5 when the ref already holds another commit (never moved).
 *
 * @example
 * const { commit, ref } = await snapshotOf(git, stored, { top: info.root });
 */
export async function snapshotOf(
  git: Git,
  stored: StoredRecord,
  opts: SnapshotOptions = {},
): Promise<Snapshot> {
  const r = stored.record;
  const problem = snapshotProblem(r);
  if (problem) {
    throw new RunprovError(
      `run ${r.run_id} cannot have a snapshot: ${problem}`,
      Exit.usage,
      r.git.available === false
        ? "there is no commit to restore; the record's other facts are all there is"
        : "runprov cannot rebuild changes it did not store; raise patch.max_bytes (or turn " +
          "patch.capture on) for future runs, and keep a clean tree for runs you must reproduce",
    );
  }
  const ref = snapshotRef(r.run_id);
  const base = r.git.sha;
  const warnings = snapshotWarnings(r);
  const existing = await git.commitRef(ref);
  if (existing) {
    const why = refMismatch(existing.commit, existing.parents, existing.message, r);
    if (why) throw refConflict(ref, existing.commit, r.run_id, why);
    return {
      commit: existing.commit,
      ref,
      base,
      clean: !r.git.dirty,
      created: false,
      warnings,
      tree: existing.tree,
    };
  }
  if ((await git.resolveCommit(base)) === null) throw missingCommit(r, opts.shallow ?? false);
  let commit = base;
  if (r.git.dirty) {
    const bytes = await readPatch(stored);
    try {
      commit = await commitWithPatch(git, opts.top ?? git.cwd, base, bytes, {
        message: snapshotMessage(r),
        time: snapshotTime(r.created_at),
      });
    } catch (err) {
      if (err instanceof GitError) {
        throw new RunprovError(
          `cannot build the snapshot of run ${r.run_id}: ${failureReason(err)}`,
          err.failure === "git-failed" ? Exit.usage : Exit.git,
          "the patch does not apply to its recorded commit: check that the patch file is the " +
            "one the run wrote",
        );
      }
      throw err;
    }
  }
  const made = await git.createRef(ref, commit);
  if (made === "exists") {
    // Another process made it meanwhile: the same commit when it built the same run.
    const now = await git.commitRef(ref);
    if (!now || now.commit !== commit) throw refConflict(ref, now?.commit ?? "?", r.run_id, "");
  }
  return { commit, ref, base, clean: !r.git.dirty, created: made === "created", warnings };
}

/** What a snapshot of `r` lacks, in words (nothing for most runs). */
export function snapshotWarnings(r: RunRecord): string[] {
  const w: string[] = [];
  for (const s of r.git.submodules ?? []) {
    if (s.dirty && s.sha !== null && s.sha === s.recorded_sha) {
      w.push(
        `submodule ${s.path} had uncommitted edits at run time; runprov does not record ` +
          `edits inside submodules, so the snapshot has it at ${s.sha.slice(0, 12)} without them`,
      );
    }
  }
  const g = r.git;
  if (g.dirty && g.untracked_counts && (g.untracked?.length ?? 0) > 0 && !g.patch?.untracked) {
    w.push(
      `run ${r.run_id} counted ${g.untracked.length} untracked file(s), but its patch does not ` +
        `hold them (recorded before runprov stored untracked files); the snapshot lacks them`,
    );
  }
  return w;
}

/**
 * Why an existing snapshot ref is not run `r`'s snapshot (empty string: it is). A clean
 * run's is the recorded commit; a dirty run's has the recorded commit as its only parent
 * and trailers naming the run, the commit and the patch's sha256.
 */
export function refMismatch(
  commit: string,
  parents: readonly string[],
  message: string,
  r: RunRecord,
): string {
  if (!r.git.dirty) {
    return commit === r.git.sha ? "" : `the run was clean: its snapshot is ${r.git.sha}`;
  }
  const t = parseTrailers(message);
  if (parents.length !== 1 || parents[0] !== r.git.sha) {
    return `its parent is not the recorded commit ${r.git.sha}`;
  }
  if (t.run !== r.run_id || t.commit !== r.git.sha) return "its message names another run";
  if (t["patch-sha256"] !== r.git.patch?.sha256) return "it was built from another patch";
  return "";
}

function refConflict(ref: string, commit: string, id: string, why: string): RunprovError {
  return new RunprovError(
    `${ref} already holds ${commit}, which is not run ${id}'s snapshot${why ? `: ${why}` : ""}`,
    Exit.tag,
    `runprov never moves it; if it is wrong, delete it deliberately (git update-ref -d ${ref}) ` +
      "and try again",
  );
}

/** The error for a recorded commit this repository does not have, with how to get it. */
export function missingCommit(r: RunRecord, shallow: boolean): RunprovError {
  const remote = r.git.remote ?? "origin";
  const where = r.git.remote_url ? ` (${remote}: ${r.git.remote_url})` : "";
  return new RunprovError(
    `run ${r.run_id}'s commit ${r.git.sha} is not in this repository` +
      (shallow ? " (this is a shallow clone)" : ""),
    Exit.git,
    shallow
      ? `fetch the full history: git fetch --unshallow ${remote}${where}, then try again`
      : `fetch it from the remote the run used${where}: git fetch ${remote}, then try again ` +
        "(or run this in the clone the run used)",
  );
}

/**
 * The bytes of a stored run's patch, checked against the record (size and sha256): the
 * recorded path, else `<id>.patch` next to the record file (a moved record directory).
 */
export async function readPatch(stored: StoredRecord): Promise<Uint8Array> {
  const p = stored.record.git.patch!;
  const candidates = [...new Set([p.path, patchPathFor(stored.path)])];
  let bytes: Uint8Array | null = null;
  let found = "";
  for (const path of candidates) {
    try {
      bytes = await Deno.readFile(path);
      found = path;
      break;
    } catch { /* try the next place */ }
  }
  const id = stored.record.run_id;
  if (bytes === null) {
    throw new RunprovError(
      `run ${id}'s patch is missing: no file at ${candidates.join(" or ")}`,
      Exit.usage,
      "the patch is stored next to the record; copy it back from where the run was made",
    );
  }
  const sha = await sha256OfChunks([bytes], bytes.length);
  if (sha !== p.sha256 || bytes.length !== p.bytes) {
    throw new RunprovError(
      `run ${id}'s patch ${found} is not the one the run recorded ` +
        `(sha256 ${sha.slice(0, 16)}..., the record says ${p.sha256.slice(0, 16)}...)`,
      Exit.usage,
      "the file was changed after the run; restore the original patch file",
    );
  }
  return bytes;
}
