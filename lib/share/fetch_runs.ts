/**
 * Fetching shared runs, as a library (`fetch`, and `show` of a run only on the remote):
 * `refs/runprov/runs/*` (or the given ids) into the local namespace, never forced; then each
 * new run commit is checked and its record and patch are written byte for byte into the
 * record directory, and `refs/runprov/snapshots/<id>` is set to its snapshot. Conflicts and
 * foreign commits are refused (exit 5) and leave nothing behind. Nothing here prints.
 */
import { lstatOrNull } from "../util/lstat.ts";
import { Exit, RunprovError, usageError } from "../errors.ts";
import { sha256Hex } from "../util/sha256.ts";
import { SNAPSHOT_PREFIX, snapshotRef } from "../snapshot/build.ts";
import { patchPathFor } from "../run/patch.ts";
import { createFromTemp, PathTaken, recordPath, writeTemp } from "../run/store.ts";
import { defaultRecordPath } from "../run/record_dir.ts";
import { fetchRefspecs, runRef } from "./refs.ts";
import { remoteError, remoteRuns } from "./list.ts";
import {
  type FetchedRun,
  parseCommitObject,
  PATCH_FILE,
  RECORD_FILE,
  runCommitProblem,
  treeNames,
} from "./run_commit.ts";
import { createLocalRefs, localRuns, type RunOutcome, type ShareTarget } from "./share.ts";

/**
 * Fetch runs from the remote (all of them when `ids` is empty) into `refs/runprov/runs/`,
 * never forced, then write each new run's record and patch into the record directory
 * byte for byte and point `refs/runprov/snapshots/<id>` at its snapshot. A local record or
 * run ref with other content is a conflict (exit 5) and is left as it is; so is a run id
 * the remote does not have (exit 2). A remote that cannot be fetched from throws (exit 5)
 * before anything changed here.
 */
export async function fetchRuns(t: ShareTarget, ids: readonly string[]): Promise<RunOutcome[]> {
  const before = await localRuns(t.git, ids.length ? ids : null);
  const outcomes: RunOutcome[] = [];
  let wanted = [...ids];
  let answer = await t.git.fetchRefspecs(t.remote, fetchRefspecs(wanted), t.secrets);
  let remote: Map<string, string> | null = null;
  if (!answer.ok && wanted.length > 0 && /couldn't find remote ref/.test(answer.stderr)) {
    // One missing id fails the whole fetch: ask which, and fetch the others.
    remote = new Map((await remoteRuns(t.git, t.remote, t.secrets)).runs.map((r) => [
      r.id,
      r.commit,
    ]));
    for (const id of wanted.filter((id) => !remote!.has(id))) {
      outcomes.push({
        id,
        commit: null,
        status: "failed",
        notes: [],
        error: usageError(
          `no run ${id} on ${t.remote}`,
          `list the runs there with: runprov runs --remote ${t.remote}`,
        ),
      });
    }
    wanted = wanted.filter((id) => remote!.has(id));
    answer = wanted.length
      ? await t.git.fetchRefspecs(t.remote, fetchRefspecs(wanted), t.secrets)
      : { ok: true, out: "" };
  }
  if (!answer.ok && answer.code !== 1) throw remoteError(t.remote, "fetch runs from", answer);
  const after = await localRuns(t.git, ids.length ? wanted : null);
  if (!answer.ok) {
    // Exit 1: git left some local run refs alone because the remote's differ.
    remote ??= new Map((await remoteRuns(t.git, t.remote, t.secrets)).runs.map((r) => [
      r.id,
      r.commit,
    ]));
    for (const [id, theirs] of remote) {
      const mine = after.get(id);
      if ((ids.length === 0 || wanted.includes(id)) && mine !== undefined && mine !== theirs) {
        outcomes.push({
          id,
          commit: theirs,
          status: "failed",
          notes: [],
          error: new RunprovError(
            `run ${id} on ${t.remote} (${theirs.slice(0, 12)}) is not the run ${id} here ` +
              `(${mine.slice(0, 12)}); nothing was overwritten`,
            Exit.tag,
            "two runs were shared under one id; keep both apart by fetching into another " +
              "clone, or delete the local one deliberately (git update-ref -d " +
              `${runRef(id)}) and fetch again`,
          ),
        });
        after.delete(id);
      }
    }
  }
  const failedIds = new Set(outcomes.map((o) => o.id));
  const targets = [...after].filter(([id]) => !failedIds.has(id));
  outcomes.push(...await materialise(t, targets, before));
  return outcomes;
}

/**
 * Write the records and patches of fetched runs (`[id, run commit]`) that this record
 * directory lacks, after checking each run commit; set their snapshot refs. A run ref this
 * fetch created for a commit that fails the checks, or whose record here differs, is
 * removed again (nothing of it stays).
 */
async function materialise(
  t: ShareTarget,
  runs: [string, string][],
  before: Map<string, string>,
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  // Only runs that are new here, or whose record file is missing, need reading.
  const todo: [string, string][] = [];
  for (const [id, commit] of runs) {
    const isNew = before.get(id) !== commit;
    if (isNew || !(await exists(recordPath(t.recordDir, id)))) todo.push([id, commit]);
    else outcomes.push({ id, commit, status: "up-to-date", notes: [], error: null });
  }
  if (todo.length === 0) return outcomes;
  const names = todo.flatMap(([, c]) => [
    c,
    `${c}^{tree}`,
    `${c}:${RECORD_FILE}`,
    `${c}:${PATCH_FILE}`,
  ]);
  const objects = await t.git.catFileBatch(names);
  const snapshots = parseLocalSnapshots(await t.git.refsUnder([SNAPSHOT_PREFIX]));
  const undo: { ref: string; new: string; old: string }[] = [];
  const snapRefs: { ref: string; new: string; old: string }[] = [];
  let wroteDir = false;
  for (let i = 0; i < todo.length; i++) {
    const [id, commit] = todo[i];
    const createdNow = before.get(id) !== commit;
    const [c, tree, record, patch] = objects.slice(i * 4, i * 4 + 4);
    const fetched: FetchedRun = {
      id,
      commit: parseCommitObject(c ? new TextDecoder().decode(c.bytes) : ""),
      record: record?.type === "blob" ? record.bytes : null,
      patch: patch?.type === "blob" ? patch.bytes : null,
      names: tree?.type === "tree" ? treeNames(tree.bytes, commit.length / 2) : [],
    };
    const checked = c?.type === "commit"
      ? runCommitProblem(fetched, sha256Hex)
      : { problem: "it is not a commit" };
    // This run is not kept: its ref goes if this fetch made it, and the outcome says why.
    const refuse = (message: string, hint: string) => {
      if (createdNow) undo.push({ ref: runRef(id), new: "", old: commit });
      outcomes.push({
        id,
        commit,
        status: "failed",
        notes: [],
        error: new RunprovError(message, Exit.tag, hint),
      });
    };
    if ("problem" in checked) {
      refuse(
        `${runRef(id)} on ${t.remote} is not a run runprov shared: ${checked.problem}; ` +
          "nothing of it was kept",
        "someone pushed something else under refs/runprov/runs/ there; ask whoever did",
      );
      continue;
    }
    const path = recordPath(t.recordDir, id);
    const had = await exists(path);
    const conflict = await differs(path, fetched.record!) ??
      (fetched.patch ? await differs(patchPathFor(path), fetched.patch) : null);
    if (conflict) {
      refuse(
        `run ${id} on ${t.remote} is not the run ${id} here: ${conflict} differs from ` +
          "the shared one; nothing was overwritten",
        "two runs were made under one id; fetch the shared one into another clone to " +
          "compare, or move the local files away deliberately and fetch again",
      );
      continue;
    }
    if (!wroteDir) {
      await ensureRecordDir(t);
      wroteDir = true;
    }
    const inTheWay = await placeRun(path, fetched.record!, fetched.patch);
    if (inTheWay) {
      // Another runprov stored a run under this id meanwhile: it stays, this one is not kept.
      refuse(
        `run ${id} on ${t.remote} is not the run ${id} here: ${inTheWay} appeared while ` +
          "fetching, with other content; nothing was overwritten",
        "two runs were made under one id; fetch the shared one into another clone to compare",
      );
      continue;
    }
    const notes: string[] = [];
    if (checked.snapshot) {
      const have = snapshots.get(id);
      if (have === undefined) {
        snapRefs.push({ ref: snapshotRef(id), new: checked.snapshot, old: "" });
      } else if (have !== checked.snapshot) {
        notes.push(
          `warning: ${snapshotRef(id)} holds ${have.slice(0, 12)}, the shared run's snapshot ` +
            `is ${checked.snapshot.slice(0, 12)}; left as it is`,
        );
      }
    } else {
      notes.push(`note: run ${id} was shared without its code (its record says why)`);
    }
    outcomes.push({
      id,
      commit,
      status: createdNow || !had ? "fetched" : "up-to-date",
      notes,
      error: null,
    });
  }
  await createLocalRefs(t.git, snapRefs);
  if (undo.length) await t.git.updateRefs(undo).catch(() => {});
  return outcomes;
}

/** `refs/runprov/snapshots/<id>` -> commit, from `<oid> <ref>` lines. */
function parseLocalSnapshots(refs: ReadonlyMap<string, string>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [ref, oid] of refs) {
    if (ref.startsWith(SNAPSHOT_PREFIX)) map.set(ref.slice(SNAPSHOT_PREFIX.length), oid);
  }
  return map;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/**
 * The file's name when something is there other than a regular file holding `bytes` (other
 * bytes, a directory, a symbolic link, a FIFO: never opened, so never blocked on), else null.
 */
async function differs(path: string, bytes: Uint8Array): Promise<string | null> {
  const info = await lstatOrNull(path);
  if (info === null) return null;
  if (!info.isFile) return path;
  const have = await Deno.readFile(path);
  if (have.length === bytes.length && have.every((b, i) => b === bytes[i])) return null;
  return path;
}

/**
 * Create `path` holding `bytes` where nothing is yet (never replacing a file, as every run
 * record is stored): `created`, `same` when those bytes are there already, or `differs`.
 */
async function createOrSame(
  path: string,
  bytes: Uint8Array,
): Promise<"created" | "same" | "differs"> {
  if (await differs(path, bytes) !== null) return "differs";
  if (await exists(path)) return "same";
  const temp = await writeTemp(path, (write) => write(bytes));
  try {
    await createFromTemp(temp, path);
    return "created";
  } catch (err) {
    if (!(err instanceof PathTaken)) throw err;
    return await differs(path, bytes) === null ? "same" : "differs";
  }
}

/**
 * Put a fetched run's patch, then its record, into the record directory, each created only
 * where nothing is yet (a file with the same bytes is kept). Resolves null, or the name of
 * what is in the way; a patch this call created for a record it could not place is removed.
 */
async function placeRun(
  path: string,
  record: Uint8Array,
  patch: Uint8Array | null,
): Promise<string | null> {
  let created: string | null = null;
  if (patch) {
    const patchPath = patchPathFor(path);
    const placed = await createOrSame(patchPath, patch);
    if (placed === "differs") return patchPath;
    if (placed === "created") created = patchPath;
  }
  if (await createOrSame(path, record) !== "differs") return null;
  if (created !== null) await Deno.remove(created).catch(() => {});
  return path;
}

/** Create the record directory as a capture would (`.runprov/.gitignore` included). */
async function ensureRecordDir(t: ShareTarget): Promise<void> {
  await defaultRecordPath(t.root, t.recordDir, "x");
}
