/**
 * The run commit, the pure part: what a shared run is in git. Its tree holds `record.json`
 * (the record file's exact bytes) and, for a dirty run, `run.patch` (the patch file's exact
 * bytes); its single parent is the run's snapshot (the code it ran); its message names the
 * run with `Runprov-*` trailers. Author, committer and date are fixed by the record, so the
 * same run always gives the same commit id: pushing it again is a no-op, and another
 * commit under the same id is a real conflict. Also: the `git fast-import` stream that
 * writes run commits, and the checks a fetched run commit must pass. No git, no files.
 */
import { shown } from "../errors.ts";
import { parseRecord, type RunRecord } from "../run/record.ts";
import { parseTrailers } from "../tag/names.ts";

/** The record's file name in a run commit's tree. */
export const RECORD_FILE = "record.json";

/** The patch's file name in a run commit's tree (dirty runs only). */
export const PATCH_FILE = "run.patch";

/** Author and committer of every run commit (fixed, so the commit id is too). */
export const RUN_COMMIT_IDENT = "runprov <runprov@localhost>";

/** What one run commit is made of. */
export interface RunCommitParts {
  /** The run id (the ref name's last part; must be the record's `run_id`). */
  id: string;
  /** The record file's bytes, exactly as stored. */
  record: Uint8Array;
  /** sha256 (hex) of `record`. */
  recordSha256: string;
  /** The patch file's bytes (a dirty run with a stored patch), else null. */
  patch: Uint8Array | null;
  /** sha256 (hex) of `patch`, or null. */
  patchSha256: string | null;
  /** The snapshot commit (the parent), or null when the run can have none. */
  snapshot: string | null;
  /** Why there is no snapshot (shown in the message), when `snapshot` is null. */
  noSnapshot?: string | null;
  /** The record's `git.sha` (the recorded commit), or null when unknown. */
  recordedCommit: string | null;
  /** The record's `created_at`: the commit's date. */
  createdAt: string;
}

/** A record's `created_at` in whole seconds since 1970 (0 when it cannot be read). */
export function commitTime(createdAt: string): number {
  const t = Date.parse(createdAt);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

/** Keep a trailer value on one line. */
function oneLine(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x1f\x7f\u0085\u2028\u2029]+/g, " ").trim();
}

/**
 * The run commit's message: a title, one sentence, then `Runprov-*` trailers.
 *
 * @example
 * runCommitMessage(parts).split("\n")[0]; // "runprov run k3x9q0ab"
 */
export function runCommitMessage(p: RunCommitParts): string {
  const lines = [
    `runprov run ${p.id}`,
    "",
    p.snapshot
      ? `The record of run ${p.id}${
        p.patch ? " and its patch" : ""
      }; the run's code is this commit's parent (its snapshot).`
      : `The record of run ${p.id}${p.patch ? " and its patch" : ""}, without its code` +
        (p.noSnapshot ? `: ${oneLine(p.noSnapshot)}` : "."),
    "",
    `Runprov-Run: ${p.id}`,
    `Runprov-Record-Sha256: ${p.recordSha256}`,
  ];
  if (p.patchSha256) lines.push(`Runprov-Patch-Sha256: ${p.patchSha256}`);
  lines.push(`Runprov-Snapshot: ${p.snapshot ?? "none"}`);
  if (p.recordedCommit) lines.push(`Runprov-Commit: ${p.recordedCommit}`);
  lines.push(`Runprov-Run-Created: ${oneLine(p.createdAt)}`);
  return lines.join("\n") + "\n";
}

const enc = new TextEncoder();

/**
 * The `git fast-import` stream that writes one run commit per entry of `runs` (blobs,
 * trees and commits; no ref: each commit goes to `scratchRef`, which is reset before the
 * end) and prints each commit's id on its own line, in order (`get-mark`).
 *
 * @example
 * const stream = runCommitsStream([parts], "refs/runprov/tmp/123-ab");
 * // git fast-import --done ... < stream  prints "<commit id>\n"
 */
export function runCommitsStream(runs: readonly RunCommitParts[], scratchRef: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  const text = (s: string) => chunks.push(enc.encode(s));
  const data = (bytes: Uint8Array) => {
    text(`data ${bytes.length}\n`);
    chunks.push(bytes);
    text("\n");
  };
  let mark = 0;
  const commits: number[] = [];
  for (const run of runs) {
    const recordMark = ++mark;
    text(`blob\nmark :${recordMark}\n`);
    data(run.record);
    let patchMark = 0;
    if (run.patch) {
      patchMark = ++mark;
      text(`blob\nmark :${patchMark}\n`);
      data(run.patch);
    }
    const commitMark = ++mark;
    commits.push(commitMark);
    const who = `${RUN_COMMIT_IDENT} ${commitTime(run.createdAt)} +0000`;
    // reset first: without it a parentless commit would chain onto the previous one.
    text(`reset ${scratchRef}\n\n`);
    text(`commit ${scratchRef}\nmark :${commitMark}\nauthor ${who}\ncommitter ${who}\n`);
    data(enc.encode(runCommitMessage(run)));
    if (run.snapshot) text(`from ${run.snapshot}\n`);
    text(`deleteall\nM 100644 :${recordMark} ${RECORD_FILE}\n`);
    if (patchMark) text(`M 100644 :${patchMark} ${PATCH_FILE}\n`);
    text("\n");
  }
  text(`reset ${scratchRef}\n\n`);
  for (const m of commits) text(`get-mark :${m}\n`);
  text("done\n");
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** A commit object's header fields and message (`git cat-file commit` text). */
export interface CommitObject {
  tree: string;
  parents: string[];
  message: string;
}

/**
 * Parse a commit object's text: `tree`, `parent` lines, then the message after the first
 * empty line.
 *
 * @example
 * parseCommitObject("tree abc\nparent def\nauthor a\n\nmsg\n").parents; // ["def"]
 */
export function parseCommitObject(text: string): CommitObject {
  const split = text.indexOf("\n\n");
  const head = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? "" : text.slice(split + 2);
  let tree = "";
  const parents: string[] = [];
  for (const line of head.split("\n")) {
    if (line.startsWith("tree ")) tree = line.slice(5);
    else if (line.startsWith("parent ")) parents.push(line.slice(7));
  }
  return { tree, parents, message };
}

/** A fetched run commit's contents, as read back from git. */
export interface FetchedRun {
  id: string;
  commit: CommitObject;
  /** `record.json`'s bytes, or null when the tree has none. */
  record: Uint8Array | null;
  /** `run.patch`'s bytes, or null when the tree has none. */
  patch: Uint8Array | null;
  /** The tree's entry names. */
  names: string[];
}

/** A fetched run commit that passed {@link runCommitProblem}: the record, parsed. */
export interface CheckedRun {
  record: RunRecord;
  /** The snapshot commit (the parent), or null for a run shared without its code. */
  snapshot: string | null;
}

/**
 * Why a fetched commit is not a run commit runprov wrote for run `id` (null: it is). The
 * tree must hold `record.json` (and `run.patch` exactly when the record has a patch), the
 * record must be run `id`'s and match the message's sha256, the patch its recorded sha256,
 * and the parent the snapshot the message names. `sha256` hashes bytes (hex).
 */
export function runCommitProblem(
  run: FetchedRun,
  sha256: (bytes: Uint8Array) => string,
): { problem: string } | CheckedRun {
  const t = parseTrailers(run.commit.message);
  if (t.run !== run.id) return { problem: "its message does not name this run" };
  const extra = run.names.filter((n) => n !== RECORD_FILE && n !== PATCH_FILE);
  if (extra.length > 0) return { problem: `its tree holds other files (${extra.join(", ")})` };
  if (!run.record) return { problem: `its tree has no ${RECORD_FILE}` };
  if (sha256(run.record) !== t["record-sha256"]) {
    return { problem: `its ${RECORD_FILE} is not the record its message names (sha256)` };
  }
  let record: RunRecord;
  try {
    record = parseRecord(new TextDecoder().decode(run.record), RECORD_FILE);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  if (record.run_id !== run.id) {
    return { problem: `its record is run ${shown(String(record.run_id))}'s` };
  }
  const want = record.git?.patch?.sha256 ?? null;
  if (want !== null && run.patch === null) return { problem: `its tree has no ${PATCH_FILE}` };
  if (want === null && run.patch !== null) {
    return { problem: `its tree has a ${PATCH_FILE} the record does not name` };
  }
  if (want !== null && run.patch !== null && sha256(run.patch) !== want) {
    return { problem: `its ${PATCH_FILE} is not the recorded patch (sha256)` };
  }
  const parents = run.commit.parents;
  const snapshot = t.snapshot === "none" ? null : t.snapshot ?? "";
  if (snapshot === null ? parents.length !== 0 : parents.length !== 1 || parents[0] !== snapshot) {
    return { problem: "its parent is not the snapshot its message names" };
  }
  return { record, snapshot };
}

/**
 * The entry names of a raw tree object (`<mode> <name>\0<oid bytes>` each), `oidBytes`
 * being the hash's size (20 for SHA-1, 32 for SHA-256).
 */
export function treeNames(tree: Uint8Array, oidBytes: number): string[] {
  const names: string[] = [];
  let off = 0;
  while (off < tree.length) {
    const sp = tree.indexOf(0x20, off);
    const nul = tree.indexOf(0, sp);
    if (sp < 0 || nul < 0) break;
    names.push(new TextDecoder().decode(tree.subarray(sp + 1, nul)));
    off = nul + 1 + oidBytes;
  }
  return names;
}
