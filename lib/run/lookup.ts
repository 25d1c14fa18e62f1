/**
 * Finding a run for `tag`, `show`, `verify`, `restore`, `diff` and `rerun`: the repository,
 * the record directory, the record.
 */
import { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import { GitError } from "../git/runner.ts";
import { Exit, RunprovError, usageError } from "../errors.ts";
import { failureReason } from "./failure_reason.ts";
import { recordDir, recordPath } from "./store.ts";
import { readRecordFile, type StoredRecord } from "./store.ts";
import type { TagSettings } from "../tag/names.ts";

/**
 * Locate the repository, or throw: outside a repository is a usage error (2) naming
 * `-C`; any other git failure is "git unusable" (4).
 */
export async function requireRepo(git: Git, what: string): Promise<RepoInfo> {
  try {
    return await git.repoInfo();
  } catch (err) {
    throw gitProblem(err, what);
  }
}

/** The repository, or null outside one (other git failures still throw). */
export async function optionalRepo(git: Git, what: string): Promise<RepoInfo | null> {
  try {
    return await git.repoInfo();
  } catch (err) {
    if (err instanceof GitError && err.failure === "not-a-repository") return null;
    throw gitProblem(err, what);
  }
}

/** A RunprovError for a git failure while doing `what`. */
export function gitProblem(err: unknown, what: string): unknown {
  if (!(err instanceof GitError)) return err;
  if (err.failure === "not-a-repository" || err.failure === "not-a-work-tree") {
    return usageError(
      `${what} needs a git repository: ${failureReason(err)}`,
      "run inside the repository, or pass -C DIR",
    );
  }
  return new RunprovError(`${what}: ${failureReason(err)}`, Exit.git);
}

/** The record directory: config `dir` under the repository top (or the directory given). */
export function recordDirFor(base: string, settings: TagSettings): string {
  return recordDir(base, settings.dir);
}

/** The stored record of run `id`, or null when there is none. */
export function findRecord(dir: string, id: string): Promise<StoredRecord | null> {
  return readRecordFile(recordPath(dir, id));
}

/**
 * The top of the main worktree when `info` is a linked worktree (`git worktree add`, as
 * `runprov restore` makes), else null: records live in the main checkout's record directory.
 */
export function mainWorktreeTop(
  info: Pick<RepoInfo, "linkedWorktree" | "commonDir">,
): string | null {
  if (!info.linkedWorktree || !info.commonDir.endsWith("/.git")) return null;
  return info.commonDir.slice(0, -"/.git".length);
}

/**
 * The record of run `id`: in this checkout's record directory, else, in a linked worktree,
 * in the main checkout's (a restored run's worktree has no records of its own).
 */
export async function findRunRecord(
  info: Pick<RepoInfo, "root" | "linkedWorktree" | "commonDir">,
  settings: TagSettings,
  id: string,
): Promise<StoredRecord | null> {
  const here = await findRecord(recordDirFor(info.root, settings), id);
  if (here) return here;
  const main = mainWorktreeTop(info);
  if (main === null || main === info.root) return null;
  return await findRecord(recordDirFor(main, settings), id);
}
