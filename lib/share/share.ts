/**
 * Sharing runs through a git remote, as a library: the share target (which remote), run
 * commits written for stored runs, pushing them (`push`, `exec --push`) and listing the
 * remote's runs. A run goes to the remote as one run commit (record, patch, and the snapshot
 * as its parent) under `refs/runprov/runs/<id>`. Nothing here prints or exits: results say
 * what happened to each run, failures are RunprovErrors (exit 5 for the remote's refusals
 * and conflicts) that say what to do.
 */
import type { Git } from "../git/client.ts";
import { type PushResult, remoteSaid, type RepoInfo } from "../git/parse.ts";
import { GitError } from "../git/runner.ts";
import { clipped, Exit, RunprovError, shown, usageError } from "../errors.ts";
import { sha256Hex } from "../util/sha256.ts";
import { readRecordFile, type StoredRecord } from "../run/store.ts";
import {
  missingCommit,
  readPatch,
  snapshotOf,
  snapshotProblem,
  snapshotWarnings,
} from "../snapshot/build.ts";
import { recordDir, recordPath } from "../run/store.ts";
import { checkRemote } from "../tag/tag_run.ts";
import { resolveTagSettings } from "../tag/names.ts";
import { shareRemote } from "./settings.ts";
import type { Config } from "../config/config.ts";
import { parseLocalRuns, pushRefspec, runRef, RUNS_PREFIX } from "./refs.ts";
import { type RunCommitParts, runCommitsStream } from "./run_commit.ts";

/** The configuration keys sharing reads: `dir`, `tag`, `share`. */
type SharingConfig = Pick<Config, "dir" | "tag" | "share">;

/** Where runs are shared: the repository, its record directory and the remote. */
export interface ShareTarget {
  git: Git;
  /** The repository top. */
  root: string;
  /** The record directory (absolute). */
  recordDir: string;
  /** The remote's configured name. */
  remote: string;
  /** Strings to mask in anything git prints (credentials in the remote's URLs). */
  secrets: string[];
  /** The repository is a shallow clone (for the hint when a commit is missing). */
  shallow: boolean;
}

/** What happened to one run. */
export interface RunOutcome {
  id: string;
  /** The run commit (null when it could not be made or fetched). */
  commit: string | null;
  /**
   * `pushed`/`fetched`: the remote or this repository did not have it; `up-to-date`: both
   * already had exactly this run; `failed`: see `error`.
   */
  status: "pushed" | "fetched" | "up-to-date" | "failed";
  /** Notes for stderr (a run shared without its code, for one). */
  notes: string[];
  error: RunprovError | null;
}

/** Most refspecs one `git push` gets (the argv stays far below the system's limit). */
const PUSH_CHUNK = 500;

/** The run ids a list of local run refs holds (`refs/runprov/runs/<id>` -> commit). */
export async function localRuns(
  git: Git,
  ids: readonly string[] | null,
): Promise<Map<string, string>> {
  if (ids !== null && ids.length === 0) return new Map();
  const patterns = ids === null || ids.length > 50 ? [RUNS_PREFIX] : ids.map(runRef);
  return parseLocalRuns(await git.refsUnder(patterns));
}

/**
 * The run commit of each stored record, written into the repository (`git fast-import`, one
 * process for all): its snapshot is built first when missing. A record that cannot be
 * shared gets a failed outcome instead (its commit not in this repository, its patch
 * missing or changed).
 */
export async function buildRunCommits(
  t: ShareTarget,
  stored: readonly StoredRecord[],
): Promise<{ built: Map<string, { commit: string; notes: string[] }>; failed: RunOutcome[] }> {
  const parts: RunCommitParts[] = [];
  const notes = new Map<string, string[]>();
  const failed: RunOutcome[] = [];
  for (const s of stored) {
    const id = s.record.run_id;
    const runNotes: string[] = [];
    try {
      const record = await Deno.readFile(s.path);
      const g = s.record.git;
      const patch = g?.patch ? await readPatch(s) : null;
      const problem = snapshotProblem(s.record);
      let snapshot: string | null = null;
      if (problem) {
        runNotes.push(`warning: run ${id} is shared without its code: ${problem}`);
      } else if (!g.dirty) {
        // A clean run's snapshot is its recorded commit: no ref needed to push it (if the
        // commit is missing, fast-import says so, and the run is reported below).
        snapshot = g.sha;
        runNotes.push(...snapshotWarnings(s.record).map((w) => `warning: ${w}`));
      } else {
        const snap = await snapshotOf(t.git, s, { top: t.root, shallow: t.shallow });
        snapshot = snap.commit;
        runNotes.push(...snap.warnings.map((w) => `warning: ${w}`));
      }
      parts.push({
        id,
        record,
        recordSha256: sha256Hex(record),
        patch,
        patchSha256: patch ? sha256Hex(patch) : null,
        snapshot,
        noSnapshot: problem,
        recordedCommit: g?.available === false ? null : g?.sha ?? null,
        createdAt: s.record.created_at,
      });
      notes.set(id, runNotes);
    } catch (err) {
      if (!(err instanceof RunprovError)) throw err;
      failed.push({ id, commit: null, status: "failed", notes: runNotes, error: err });
    }
  }
  const built = new Map<string, { commit: string; notes: string[] }>();
  if (parts.length === 0) return { built, failed };
  const scratch = `refs/runprov/tmp/${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  let out: string;
  try {
    out = await t.git.fastImport(runCommitsStream(parts, scratch), t.root);
  } catch (err) {
    // A recorded commit this repository lacks (clean runs are not checked before): name
    // those runs, and write the others.
    const missing = await missingParents(t.git, parts);
    if (!(err instanceof GitError) || missing.size === 0) throw err;
    for (const s of stored) {
      if (!missing.has(s.record.run_id)) continue;
      const error = missingCommit(s.record, t.shallow);
      failed.push({ id: s.record.run_id, commit: null, status: "failed", notes: [], error });
    }
    const rest = parts.filter((p) => !missing.has(p.id));
    if (rest.length === 0) return { built, failed };
    parts.splice(0, parts.length, ...rest);
    out = await t.git.fastImport(runCommitsStream(parts, scratch), t.root);
  }
  const ids = out.trim().split("\n");
  if (ids.length !== parts.length) {
    throw new Error(`git fast-import made ${ids.length} run commits for ${parts.length} runs`);
  }
  parts.forEach((p, i) => built.set(p.id, { commit: ids[i], notes: notes.get(p.id) ?? [] }));
  return { built, failed };
}

/** The ids of runs whose parent (snapshot) commit is not in the repository. */
async function missingParents(git: Git, parts: readonly RunCommitParts[]): Promise<Set<string>> {
  const withParent = parts.filter((p) => p.snapshot !== null);
  const found = await git.catFileBatch(withParent.map((p) => `${p.snapshot}^{commit}`));
  return new Set(withParent.filter((_, i) => found[i] === null).map((p) => p.id));
}

/**
 * Push stored runs to the remote: build each run commit, refuse (exit 5) a run whose local
 * run ref already holds another commit, push all in one `git push` (never forced: a run
 * the remote holds with other content is a conflict and stays as it is), then create the
 * local run refs of the runs the remote now has (that is how `runs` knows they are shared).
 */
export async function pushRuns(
  t: ShareTarget,
  stored: readonly StoredRecord[],
): Promise<RunOutcome[]> {
  const { built, failed } = await buildRunCommits(t, stored);
  const outcomes: RunOutcome[] = [...failed];
  const local = await localRuns(t.git, [...built.keys()]);
  const toPush: { id: string; commit: string; notes: string[] }[] = [];
  for (const [id, b] of built) {
    const have = local.get(id);
    if (have !== undefined && have !== b.commit) {
      outcomes.push({
        id,
        commit: b.commit,
        status: "failed",
        notes: b.notes,
        error: new RunprovError(
          `run ${id} was shared before with other content: ${runRef(id)} holds ` +
            `${have.slice(0, 12)}, this record and patch make ${b.commit.slice(0, 12)} (the ` +
            `record or patch changed since); nothing pushed`,
          Exit.tag,
          `runprov never replaces a shared run; if the change is wanted, share it under a new ` +
            `run id, or delete the old one deliberately (git update-ref -d ${runRef(id)}, and ` +
            `git push ${t.remote} :${runRef(id)})`,
        ),
      });
    } else {
      toPush.push({ id, ...b });
    }
  }
  const results = new Map<string, PushResult>();
  for (let i = 0; i < toPush.length; i += PUSH_CHUNK) {
    const chunk = toPush.slice(i, i + PUSH_CHUNK);
    const got = await t.git.pushRefspecs(
      t.remote,
      chunk.map((r) => pushRefspec(r.id, r.commit)),
      t.secrets,
    );
    for (const [ref, res] of got) results.set(ref, res);
  }
  const create: { ref: string; new: string; old: string }[] = [];
  for (const r of toPush) {
    const res = results.get(runRef(r.id))!;
    if (res.ok) {
      if (!local.has(r.id)) create.push({ ref: runRef(r.id), new: r.commit, old: "" });
      outcomes.push({
        id: r.id,
        commit: r.commit,
        status: res.status === "up-to-date" ? "up-to-date" : "pushed",
        notes: r.notes,
        error: null,
      });
    } else {
      outcomes.push({
        id: r.id,
        commit: r.commit,
        status: "failed",
        notes: r.notes,
        error: pushError(t.remote, r.id, res),
      });
    }
  }
  await createLocalRefs(t.git, create);
  return outcomes;
}

/**
 * Create local run refs, create-only, in one transaction; when another process made some
 * meanwhile (with the same run commit: it is deterministic), make the rest one by one.
 */
export async function createLocalRefs(
  git: Git,
  create: { ref: string; new: string; old: string }[],
): Promise<void> {
  if (create.length === 0) return;
  try {
    await git.updateRefs(create);
  } catch {
    for (const c of create) await git.createRef(c.ref, c.new);
  }
}

/** The RunprovError (exit 5) for a run the remote did not take, with what to do. */
export function pushError(remote: string, id: string, res: PushResult): RunprovError {
  const retry = `the run stays local; retry with: runprov push ${id} --remote ${remote}`;
  const said = clipped(remoteSaid(res.stderr), 300);
  if (res.status === "rejected") {
    return new RunprovError(
      `run ${id} is already on ${remote} with other content (git: ${res.reason}); ` +
        "nothing was overwritten on either side",
      Exit.tag,
      `another run was shared under the same id, or this record changed after it was ` +
        `pushed: share this one under a new run id, or look at the remote's with ` +
        `runprov fetch ${id} --remote ${remote} (in a clone without this run)`,
    );
  }
  if (res.status === "remote-rejected") {
    return new RunprovError(
      `${remote} refused ${runRef(id)}: ${res.reason}${said ? ` (remote: ${said})` : ""}`,
      Exit.tag,
      `the remote does not accept refs under refs/runprov/ (some hosts allow only branches ` +
        `and tags): allow refs/runprov/* there, or share runs through another remote (config ` +
        `share.remote); see docs/sharing.md. ${retry}`,
    );
  }
  return new RunprovError(
    `cannot push run ${id} to ${remote}: ${res.reason}${said ? ` (remote: ${said})` : ""}`,
    Exit.tag,
    `check that ${remote} is reachable and that you may push to it (git push ${remote}); ${retry}`,
  );
}

/** A stored record for the run `id` as given by the user, or a usage error (exit 2). */
export function noSuchRun(id: string, dir: string): RunprovError {
  return usageError(
    `no run ${shown(id)} to push: no record ${recordPath(dir, id)} and no such record file`,
    "list runs with: runprov runs (push takes run ids or record files)",
  );
}

/**
 * The share target of a command: the remote (`--remote`, config `share.remote`, the tag
 * remote, `origin`), which must be a configured remote, and the secrets of its URLs.
 * Throws a usage error (exit 2) for a remote that is not configured.
 */
export async function openTarget(
  git: Git,
  info: RepoInfo,
  config: SharingConfig,
  remoteFlag: string | undefined,
): Promise<ShareTarget> {
  const { remote, source } = shareRemote(remoteFlag, config);
  const cfg = await git.config();
  if (!cfg.remotes.has(remote)) {
    const names = [...cfg.remotes.keys()];
    throw usageError(
      `no remote ${shown(remote)} in this repository (from ${source})`,
      names.length
        ? `use a configured remote (${names.join(", ")}) with --remote NAME or config share.remote`
        : "add one with git remote add NAME URL (runprov uses remotes by name, never by URL)",
    );
  }
  return {
    git,
    root: info.root,
    recordDir: recordDir(info.root, resolveTagSettings(config).dir),
    remote,
    secrets: await checkRemote(git, remote),
    shallow: info.shallow,
  };
}

/**
 * Push the run whose record was just stored at `path` (`exec --push`, config `share.push`):
 * what happened, as notes and errors to print. Never throws: a failed push leaves the
 * local record as it is, and the last error says how to push it later (`runprov push
 * <retry>`: the run id, or the record file when it is not in the record directory).
 */
export async function pushStoredRun(
  git: Git,
  config: SharingConfig,
  path: string,
  remoteFlag: string | undefined,
  retry: string,
): Promise<{ notes: string[]; errors: RunprovError[] }> {
  const kept = new RunprovError(
    `the run was not pushed; its record is kept at ${path}`,
    Exit.tag,
    `push it later with: runprov push ${retry}${remoteFlag ? ` --remote ${remoteFlag}` : ""}`,
  );
  try {
    const stored = await readRecordFile(path);
    if (!stored) throw new RunprovError(`the record ${path} is not there`, Exit.tag);
    const info = await git.repoInfo();
    const target = await openTarget(git, info, config, remoteFlag);
    const [o] = await pushRuns(target, [stored]);
    if (o.error) return { notes: o.notes, errors: [o.error, kept] };
    const line = o.status === "up-to-date"
      ? `run ${o.id} is already on ${target.remote} (${o.commit!.slice(0, 12)})`
      : `pushed run ${o.id} to ${target.remote} (${o.commit!.slice(0, 12)})`;
    return { notes: [...o.notes, line], errors: [] };
  } catch (err) {
    const e = err instanceof RunprovError ? err : new RunprovError(
      `cannot push the run: ${err instanceof Error ? err.message : String(err)}`,
      Exit.tag,
    );
    return { notes: [], errors: [e, kept] };
  }
}
