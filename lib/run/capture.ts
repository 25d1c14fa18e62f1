/**
 * Capture the git facts of the working tree for a run record, through {@link Git}:
 * `rev-parse` (locate, tag names), then `config` (remotes; filter drivers to switch off)
 * and `describe --long` (or `rev-parse --short HEAD` when no tag can name HEAD; plus a look
 * at the tag it names, so no run tag becomes the base) concurrently, `status` as soon as
 * config is known, plus `for-each-ref --contains` only when "pushed" cannot be read off the
 * upstream, submodule lookups only when the repository has submodules, and `ls-files
 * --others` of the untracked directories git shows collapsed only when `ignore` globs may
 * match files inside them.
 */
import { RUNPROV_DIR } from "./layout.ts";
import { Git } from "../git/client.ts";
import type { RepoConfig, RepoInfo } from "../git/parse.ts";
import { firstLine, GitError, type GitFailure } from "../git/runner.ts";
import { clipped } from "../errors.ts";
import { dubiousPath, failureReason } from "./failure_reason.ts";
import { type ChangeKind, changeKind, type StatusReport } from "../git/porcelain.ts";
import { submodulePaths } from "../git/gitmodules.ts";
import { redactUrl } from "../git/redact_url.ts";
import { describeSkippingRunTags } from "../tag/describe.ts";
import { DEFAULT_TAG_SETTINGS } from "../tag/names.ts";

/** One tracked change, as stored in `git.changed[]`. */
export interface ChangedPath {
  path: string;
  kind: ChangeKind;
  /** git's two-letter status code (`.M`, `A.`, `R.`...). */
  xy: string;
  orig_path?: string;
}

/** One submodule, as stored in `git.submodules[]`. */
export interface SubmoduleFact {
  path: string;
  /** The checked-out commit (what the run used). */
  sha: string | null;
  /** The commit the superproject records for it. */
  recorded_sha: string | null;
  /** At a new commit or with tracked edits (counts toward the run's `dirty`). */
  dirty: boolean;
  /** Holds untracked files (does not make the run dirty). */
  untracked: boolean;
}

/** The `git` section of a run record. */
export interface GitFacts {
  available: boolean;
  /** Why git facts are missing, in words; null when available. */
  reason: string | null;
  reason_code: GitFailure | null;
  root: string | null;
  sha: string;
  sha_short: string;
  describe: string | null;
  branch: string | null;
  detached: boolean;
  upstream: string | null;
  ahead: number | null;
  behind: number | null;
  /** HEAD is in some remote-tracking ref (as of the last fetch), null when unknown. */
  pushed: boolean | null;
  remote: string | null;
  /** The remote's URL without credentials. */
  remote_url: string | null;
  dirty: boolean;
  changed: ChangedPath[];
  untracked: string[];
  /** Untracked files count toward `dirty` (config `untracked: "dirty"`). */
  untracked_counts: boolean;
  submodules: SubmoduleFact[];
  shallow: boolean | null;
  worktree: boolean | null;
  stash: number;
  patch: null | {
    path: string;
    sha256: string;
    bytes: number;
    truncated: boolean;
    /** The untracked files are in the patch too (only when they counted). */
    untracked?: boolean;
  };
}

/** How a capture treats untracked files and paths that never count. */
export interface CaptureOptions {
  /** `report`: list, `dirty`: list and count, `ignore`: neither (and skip the walk). */
  untracked?: "report" | "dirty" | "ignore";
  /** Run-tag prefix excluded from describe (`run/`). */
  tagPrefix?: string;
  /** Paths for which this returns true never count and are not listed. */
  ignore?: (path: string) => boolean;
  /**
   * `ignore` may match files inside an untracked directory that `git status` shows
   * collapsed (`ckpts/` for `*.ckpt`): look inside such directories, and drop those whose
   * every file is ignored. Set when the configuration has `ignore` globs.
   */
  ignoreInsideDirs?: boolean;
  /** Time limit of every later git call of the capture (the config's `git_timeout`). */
  timeoutMs?: number;
  /** Reads `.gitmodules` at the top; injectable for tests. */
  readTextFile?: (path: string) => Promise<string | null>;
  /**
   * Called once the repository is located (after `rev-parse`, before the status scan), e.g.
   * to read the repository's config file; the options it returns override these.
   */
  prepare?: (info: RepoInfo) => Promise<CaptureOptions> | CaptureOptions;
}

/** Facts for a run where git could not answer. */
export function unavailableFacts(
  failure: GitFailure,
  reason: string,
  root: string | null = null,
): GitFacts {
  return {
    available: false,
    reason,
    reason_code: failure,
    root,
    sha: "unknown",
    sha_short: "unknown",
    describe: null,
    branch: null,
    detached: false,
    upstream: null,
    ahead: null,
    behind: null,
    pushed: null,
    remote: null,
    remote_url: null,
    dirty: false,
    changed: [],
    untracked: [],
    untracked_counts: false,
    submodules: [],
    shallow: null,
    worktree: null,
    stash: 0,
    patch: null,
  };
}

async function defaultRead(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

/**
 * Capture the repository's facts. Never throws for git's own failures: they become
 * `available: false` with a reason (the policy decides whether that is fatal).
 */
export async function captureGit(git: Git, given: CaptureOptions = {}): Promise<GitFacts> {
  let info: RepoInfo & { tags: string[] };
  try {
    info = await git.locate();
  } catch (err) {
    if (err instanceof GitError) {
      const root = err.failure === "dubious-ownership" ? dubiousPath(err.stderr) : null;
      return unavailableFacts(err.failure, failureReason(err), root);
    }
    throw err;
  }
  // Config comes before the scan: `git status` runs a file's clean filter when its stat
  // data is stale, so the filter programs the repository names are switched off first.
  const configP = git.config();
  configP.catch(() => {});
  const opts = given.prepare ? { ...given, ...(await given.prepare(info)) } : given;
  if (opts.timeoutMs !== undefined) git = git.withTimeout(opts.timeoutMs);
  const untrackedMode = opts.untracked ?? "report";
  const ignore = opts.ignore ?? (() => false);
  const prefix = opts.tagPrefix ?? "run/";
  // No tag outside the run-tag prefixes: describe would walk all history to find nothing.
  const nameable = info.tags.some((t) =>
    !t.startsWith(prefix) && !t.startsWith(DEFAULT_TAG_SETTINGS.prefix)
  );
  const headP = nameable
    ? describeSkippingRunTags(git, "HEAD", prefix)
    : git.shortHead().then((abbrev) => ({ describe: abbrev, abbrev }));
  headP.catch(() => {}); // judged below, after status says whether HEAD exists
  let st: StatusReport, config: RepoConfig;
  let step = "config";
  try {
    config = await configP;
    step = "status";
    st = await git.status(untrackedMode === "ignore" ? "no" : "normal");
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    return unavailableFacts(err.failure, scanProblem(err, step, info.gitDir), info.root);
  }
  if (st.oid === null) {
    if (st.head === null) {
      return unavailableFacts("corrupt-head", "HEAD's branch ref is unreadable", info.root);
    }
    const facts = unavailableFacts(
      "unborn-head",
      `HEAD has no commits yet (branch ${st.head} is unborn)`,
      info.root,
    );
    facts.branch = st.head;
    return facts;
  }
  let head: { describe: string; abbrev: string };
  try {
    head = await headP;
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    if (err.failure === "bad-config" || err.failure === "bad-index") {
      return unavailableFacts(err.failure, failureReason(err, info.gitDir), info.root);
    }
    const failure = err.failure === "timeout" ? "timeout" : "corrupt-head";
    return unavailableFacts(failure, `git cannot describe HEAD: ${err.message}`, info.root);
  }
  const describe = head.describe;

  const changed: ChangedPath[] = [];
  const subFlags = new Map<
    string,
    { commitChanged: boolean; modified: boolean; untracked: boolean }
  >();
  for (const e of st.entries) {
    if (e.submodule) subFlags.set(e.path, e.submodule);
    // A submodule with only untracked files is not a change (git describe --dirty agrees).
    if (e.submodule && !e.submodule.commitChanged && !e.submodule.modified && e.xy === ".M") {
      continue;
    }
    if (ignore(e.path) && (e.origPath === undefined || ignore(e.origPath))) continue;
    const c: ChangedPath = { path: e.path, kind: changeKind(e), xy: e.xy };
    if (e.origPath !== undefined) c.orig_path = e.origPath;
    changed.push(c);
  }
  const listed = untrackedMode === "ignore"
    ? []
    : st.untracked.filter((p) => !isRunprovPath(p) && !ignore(p));

  const remote = pickRemote(st.head, config);
  const remoteCfg = remote ? config.remotes.get(remote) : undefined;
  const remoteUrl = remoteCfg?.url ? redactUrl(remoteCfg.url) : null;

  const [pushed, submodules, untracked] = await Promise.all([
    pushedState(git, st, config),
    submoduleFacts(git, info.root, subFlags, opts.readTextFile ?? defaultRead),
    opts.ignoreInsideDirs ? withoutIgnoredDirs(git, info.root, listed, ignore) : listed,
  ]);

  const dirty = changed.length > 0 || (untrackedMode === "dirty" && untracked.length > 0);
  return {
    available: true,
    reason: null,
    reason_code: null,
    root: info.root,
    sha: st.oid,
    sha_short: head.abbrev,
    describe: dirty ? `${describe}-dirty` : describe,
    branch: st.head,
    detached: st.detached,
    upstream: st.upstream,
    ahead: st.ahead,
    behind: st.behind,
    pushed,
    remote,
    remote_url: remoteUrl,
    dirty,
    changed,
    untracked,
    untracked_counts: untrackedMode === "dirty",
    submodules,
    shallow: info.shallow,
    worktree: info.linkedWorktree,
    stash: st.stash,
    patch: null,
  };
}

/** Why `git config` or `git status` (`step`) failed, named for what it is. */
function scanProblem(err: GitError, step: string, gitDir: string): string {
  switch (err.failure) {
    case "timeout":
      return err.message;
    case "corrupt-head":
      return `HEAD does not point at a readable commit: ${clipped(firstLine(err.stderr), 200)}`;
    case "bad-config":
    case "bad-index":
    case "dubious-ownership":
      return failureReason(err, gitDir);
    default:
      return `git ${step} failed (exit ${err.code}): ${clipped(firstLine(err.stderr), 200)}`;
  }
}

/**
 * `untracked` without the collapsed directories (`dir/` entries) whose every untracked,
 * not-gitignored file matches `ignore`. A directory with one file that does not match stays
 * listed as git showed it (one entry, however many files it holds). One `git ls-files` walks
 * only those directories and stops as soon as each has shown a file that counts; if it
 * fails, the directories stay listed.
 */
async function withoutIgnoredDirs(
  git: Git,
  top: string,
  untracked: string[],
  ignore: (path: string) => boolean,
): Promise<string[]> {
  const pending = new Set(untracked.filter((p) => p.endsWith("/")));
  if (pending.size === 0) return untracked;
  try {
    await git.untrackedBelow([...pending], (path) => {
      // Collapsed directories never nest: the one that holds `path` is one of its prefixes.
      for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
        const dir = path.slice(0, i + 1);
        if (pending.has(dir)) {
          if (!ignore(path)) pending.delete(dir);
          break;
        }
      }
      return pending.size > 0;
    }, top);
  } catch (err) {
    if (err instanceof GitError) return untracked;
    throw err;
  }
  return untracked.filter((p) => !pending.has(p));
}

/** runprov's own directory never counts as a change of the tree. */
function isRunprovPath(p: string): boolean {
  return p.startsWith(`${RUNPROV_DIR}/`);
}

/** The branch's configured remote, else `origin`, else the only remote. */
export function pickRemote(branch: string | null, cfg: RepoConfig): string | null {
  const fromBranch = branch ? cfg.branches.get(branch)?.remote : undefined;
  if (fromBranch && cfg.remotes.has(fromBranch)) return fromBranch;
  if (cfg.remotes.has("origin")) return "origin";
  const names = [...cfg.remotes.keys()];
  return names.length > 0 ? names.sort()[0] : null;
}

async function pushedState(git: Git, st: StatusReport, cfg: RepoConfig): Promise<boolean | null> {
  if (cfg.remotes.size === 0) return false;
  // In the upstream already: no extra git process.
  if (st.upstream && st.ahead === 0) return true;
  try {
    return await git.inAnyRemote(st.oid!);
  } catch (err) {
    if (err instanceof GitError) return null;
    throw err;
  }
}

async function submoduleFacts(
  git: Git,
  root: string,
  flags: Map<string, { commitChanged: boolean; modified: boolean; untracked: boolean }>,
  read: (path: string) => Promise<string | null>,
): Promise<SubmoduleFact[]> {
  const gitmodules = await read(`${root}/.gitmodules`);
  const paths = new Set(gitmodules ? submodulePaths(gitmodules) : []);
  for (const p of flags.keys()) paths.add(p);
  if (paths.size === 0) return [];
  const recorded = await git.gitlinks([...paths].map((p) => `:(literal)${p}`));
  const facts: SubmoduleFact[] = [];
  for (const path of [...paths].sort()) {
    const rec = recorded.get(path) ?? null;
    if (rec === null && !flags.has(path)) continue; // declared but not a gitlink (stale .gitmodules)
    const f = flags.get(path);
    const sha = f?.commitChanged ? await git.headAt(`${root}/${path}`) : rec;
    facts.push({
      path,
      sha,
      recorded_sha: rec,
      dirty: !!f && (f.commitChanged || f.modified),
      untracked: !!f?.untracked,
    });
  }
  return facts;
}
