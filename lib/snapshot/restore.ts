/**
 * Materialising a snapshot: a new linked worktree detached at the snapshot commit, its
 * submodules checked out at the commits the snapshot records (cloned from the local module
 * repositories, so no network is needed), hooks off so the files are exactly git's.
 */
import { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import { GitError } from "../git/runner.ts";
import { Exit, osReason, RunprovError, shownPath, usageError } from "../errors.ts";
import { mainWorktreeTop } from "../run/lookup.ts";
import { failureReason } from "../run/failure_reason.ts";
import { dirname, join } from "../util/paths.ts";

/** The default directory for run `id`'s code: `<repo>-run-<id>` next to the repository. */
export function defaultRestoreDir(info: RepoInfo, id: string, word = "run"): string {
  const top = mainWorktreeTop(info) ?? info.root;
  const name = top.slice(dirname(top).length).replace(/^\//, "");
  return join(dirname(top), `${name}-${word}-${id}`);
}

/**
 * Refuse a target that exists and is not an empty directory (restore never touches it);
 * resolves whether it exists (empty).
 */
export async function checkTarget(dir: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw usageError(`cannot use ${shownPath(dir)}: ${osReason(err)}`);
  }
  if (!info.isDirectory) {
    throw usageError(`${shownPath(dir)} exists and is not a directory`, "give a new directory");
  }
  for await (const _ of Deno.readDir(dir)) {
    throw usageError(
      `${
        shownPath(dir)
      } exists and is not empty; runprov restore never touches an existing directory`,
      "give a new or empty directory, or remove that one first",
    );
  }
  return true;
}

/**
 * Check out `commit` into the new directory `dir` as a linked worktree of this repository,
 * with its submodules at the recorded commits. On failure nothing is left behind.
 */
export async function materialise(
  git: Git,
  info: RepoInfo,
  commit: string,
  dir: string,
): Promise<void> {
  const existed = await checkTarget(dir);
  try {
    await git.worktreeAdd(dir, commit);
  } catch (err) {
    // A killed or failed checkout leaves nothing behind: not the files, not the registration.
    await git.worktreeRemove(dir).catch(() => {});
    if (existed) {
      for await (const e of Deno.readDir(dir)) {
        await Deno.remove(join(dir, e.name), { recursive: true }).catch(() => {});
      }
    } else await Deno.remove(dir, { recursive: true }).catch(() => {});
    await git.worktreePrune().catch(() => {});
    if (!(err instanceof GitError)) throw err;
    throw new RunprovError(
      `cannot create the worktree ${shownPath(dir)}: ${failureReason(err)}`,
      Exit.git,
      /already registered worktree/.test(err.stderr)
        ? "git still remembers a removed worktree there: git worktree prune, then try again"
        : undefined,
    );
  }
  try {
    await checkoutSubmodules(git, info, commit, dir);
  } catch (err) {
    await git.worktreeRemove(dir).catch(() => {});
    throw err;
  }
}

async function checkoutSubmodules(
  git: Git,
  info: RepoInfo,
  commit: string,
  dir: string,
): Promise<void> {
  const declared = await git.gitmodulesAt(commit);
  if (declared.length === 0) return;
  const links = await git.treeEntries(commit, declared.map((d) => d.path), info.root);
  const gitlinks = new Set(links.filter((e) => e.mode === "160000").map((e) => e.path));
  const main = mainWorktreeTop(info) ?? info.root;
  const subs: { name: string; path: string; url: string | null }[] = [];
  for (const d of declared) {
    if (!gitlinks.has(d.path)) continue;
    subs.push({ ...d, url: await localModule(info.commonDir, main, d) });
  }
  if (subs.length === 0) return;
  try {
    await git.submoduleUpdate(dir, subs);
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    throw new RunprovError(
      `cannot check out the submodules (${subs.map((s) => s.path).join(", ")}) at the ` +
        `snapshot's commits: ${failureReason(err)}`,
      Exit.git,
      "each submodule commit must be in its local module repository: run " +
        "git submodule update --init (or git -C <path> fetch) in the main checkout, then try again",
    );
  }
}

/** A local repository holding submodule `d`'s history, or null (use its configured URL). */
async function localModule(
  commonDir: string,
  mainTop: string,
  d: { name: string; path: string },
): Promise<string | null> {
  const candidates = [join(commonDir, "modules", d.name), join(mainTop, d.path)];
  for (const c of candidates) {
    const isRepo = await Deno.lstat(join(c, c.startsWith(commonDir) ? "HEAD" : ".git"))
      .then(() => true, () => false);
    if (isRepo) return c;
  }
  return null;
}
