/**
 * `runprov doctor [--json]`: what a node operator needs to know in one screen: runprov's
 * version, git's path and version, the repository (or why not), safe.directory, the
 * configuration file, RUNPROV_FROM, whether records can be written, run tags and version
 * numbers, the scheduler, the git time limit. Exit 4 when git is unusable (and no
 * RUNPROV_FROM stands in for it), 2 for a configuration error, an unreadable RUNPROV_FROM,
 * records that cannot be written or an invalid RUNPROV_GIT_TIMEOUT, 0 otherwise.
 */
import { delimiter, dirname, join } from "node:path";
import { parseCommandArgs } from "../cli/args.ts";
import { DEFAULT_GIT_TIMEOUT_MS, Git } from "../git/client.ts";
import { GitError, type GitFailure } from "../git/runner.ts";
import { dubiousPath, failureReason } from "../run/failure_reason.ts";
import { configFor } from "../config/for_command.ts";
import { gitTimeoutMs } from "../run/git_for.ts";
import { type SchedulerIds, schedulerIds } from "../run/host.ts";
import { readRecordOrFail, recordDir } from "../run/store.ts";
import { Exit, RunprovError } from "../errors.ts";
import { type Config, CONFIG_FILE, defaultConfig, type LoadedConfig } from "../config/config.ts";
import { isAbsolute, resolve } from "../util/paths.ts";
import { parseTrailers } from "../tag/names.ts";
import {
  type DescribeVersioning,
  describeVersioning,
  type FixStep,
  runTagAdvice,
  VERSIONING_FILES,
} from "../tag/versioning.ts";
import { ownCommit, VERSION } from "../version.ts";
import type { Context } from "../io.ts";

export const DOCTOR_HELP = `runprov doctor: check that runprov can work here

Usage: runprov [-C DIR] doctor [--json]

Prints, in one screen: runprov's version and commit; the git runprov runs (path on PATH,
version); the repository found from DIR or why there is none; safe.directory (for a
checkout owned by another user: the exact command to trust it); the configuration file
and any error in it (file:line:column); RUNPROV_FROM, when set (env and exec then need no
git); whether the record directory can be written (checked with a temporary file, removed
again); run tags under refs/tags when the version comes from git describe (setuptools-scm,
hatch-vcs, versioneer, dunamai), with the exact fix; the scheduler detected (SLURM,
torchrun, Kubernetes); the git time limit (RUNPROV_GIT_TIMEOUT, config git_timeout).

Exit codes: 0 runprov can work here (warnings, such as "not a repository", included);
4 git is unusable (not installed, dubious ownership, unreadable HEAD, no answer in time)
and RUNPROV_FROM does not stand in for it; 2 a configuration error, an unreadable
RUNPROV_FROM, a record directory that cannot be written, or an invalid RUNPROV_GIT_TIMEOUT.

Options:
  --json   the same facts as one JSON object on stdout
`;

/** How one check came out. `info` lines are facts, never problems. */
export type CheckStatus = "ok" | "warn" | "fail" | "info";

/** Everything `doctor` found; `--json` prints exactly this. */
export interface DoctorReport {
  /** `compiled`: a `deno compile`d binary (else main.ts run by deno). */
  runprov: { version: string; commit: string | null; compiled: boolean };
  git: { status: CheckStatus; path: string | null; version: string | null; problem: string | null };
  repository: {
    status: CheckStatus;
    root: string | null;
    head: string | null;
    reason_code: GitFailure | null;
    reason: string | null;
  };
  safe_directory: {
    status: CheckStatus;
    detail: string;
    /** The command that trusts this checkout, when git refuses it. Never `*`. */
    fix: string | null;
  };
  config: {
    status: CheckStatus;
    /** The file read, or null (defaults). */
    file: string | null;
    source: "flag" | "env" | "repo" | null;
    /** The error, starting with `file:line:column:`, or why the file was not read. */
    problem: string | null;
  };
  /** `RUNPROV_FROM`: the record env and exec take their git facts from instead of git. */
  from: {
    status: CheckStatus;
    /** Absolute path, or null when RUNPROV_FROM is not set. */
    path: string | null;
    run_id: string | null;
    sha: string | null;
    problem: string | null;
  };
  record_dir: { status: CheckStatus; path: string; writable: boolean; problem: string | null };
  /** Run tags under refs/tags and describe-based version numbers. */
  run_tags: {
    status: CheckStatus;
    /** Config `tag.refs`. */
    refs: "tags" | "runprov";
    /** Run tags (tags with a `Runprov-Run:` trailer) under refs/tags; null when not checked. */
    in_refs_tags: number | null;
    versioning: DescribeVersioning | null;
    detail: string;
    fix: FixStep[];
  };
  scheduler: { status: CheckStatus; detected: string[]; ids: SchedulerIds };
  git_timeout: {
    status: CheckStatus;
    seconds: number;
    source: "default" | "RUNPROV_GIT_TIMEOUT" | "config";
    problem: string | null;
  };
  /** True when runprov can capture runs here (exit 0). */
  ok: boolean;
  exit_code: number;
}

/**
 * Candidate paths of `name` on a PATH string, in search order (Windows: each PATHEXT
 * extension). Pure; {@link findOnPath} checks which exists.
 *
 * @example
 * pathCandidates("git", "/usr/local/bin:/usr/bin", "linux"); // ["/usr/local/bin/git", "/usr/bin/git"]
 */
export function pathCandidates(
  name: string,
  pathEnv: string | undefined,
  os: string = Deno.build.os,
  pathext = ".COM;.EXE;.BAT;.CMD",
): string[] {
  const sep = os === "windows" ? ";" : delimiter;
  const dirs = (pathEnv ?? "").split(sep).filter((d) => d !== "");
  const exts = os === "windows" ? pathext.split(";").filter(Boolean).map((e) => e.toLowerCase()) : [
    "",
  ];
  return dirs.flatMap((d) => exts.map((e) => join(d, name + e)));
}

/** The first executable file named `name` on `pathEnv`, or null. */
export async function findOnPath(
  name: string,
  pathEnv: string | undefined,
  pathext?: string,
): Promise<string | null> {
  for (const p of pathCandidates(name, pathEnv, Deno.build.os, pathext)) {
    try {
      const st = await Deno.stat(p);
      if (st.isFile && (Deno.build.os === "windows" || ((st.mode ?? 0o111) & 0o111) !== 0)) {
        return p;
      }
    } catch { /* not here */ }
  }
  return null;
}

/**
 * Can runprov write records into `dir`? Checks the nearest existing directory on the way
 * (runprov creates the rest) by creating and removing a temporary file there, so it leaves
 * nothing behind, even when `dir` does not exist yet.
 */
export async function probeWritable(
  dir: string,
): Promise<{ writable: boolean; problem: string | null }> {
  let at = dir;
  for (;;) {
    let st: Deno.FileInfo | null = null;
    try {
      st = await Deno.stat(at);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
        return { writable: false, problem: `cannot look at ${at}: ${(err as Error).message}` };
      }
    }
    if (st !== null) {
      if (!st.isDirectory) {
        return { writable: false, problem: `${at} exists and is not a directory` };
      }
      break;
    }
    const up = dirname(at);
    if (up === at) return { writable: false, problem: `no existing directory above ${dir}` };
    at = up;
  }
  const probe = join(at, `.runprov-doctor-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    const f = await Deno.open(probe, { write: true, createNew: true, mode: 0o600 });
    f.close();
  } catch (err) {
    return { writable: false, problem: `cannot create files in ${at}: ${(err as Error).message}` };
  }
  await Deno.remove(probe).catch(() => {});
  return { writable: true, problem: null };
}

/** `path` as one shell word (single-quoted only when it needs to be). */
export function shellWord(path: string): string {
  return /^[A-Za-z0-9_\/.,:@%+=-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/**
 * The exit code a report calls for: 4 if git is unusable, else 2 for a configuration error,
 * an unreadable RUNPROV_FROM, records that cannot be written or a bad time limit.
 */
export function doctorExitCode(r: Omit<DoctorReport, "ok" | "exit_code">): number {
  if (r.git.status === "fail" || r.repository.status === "fail") return Exit.git;
  const usage = [r.record_dir, r.git_timeout, r.config, r.from];
  if (usage.some((c) => c?.status === "fail")) return Exit.usage;
  return Exit.ok;
}

/** Failures that still let runprov record a run (with `sha` unknown, under warn/off). */
const SOFT: readonly GitFailure[] = ["not-a-repository", "not-a-work-tree", "unborn-head"];

/** Gather the report for `ctx`'s directory and environment. */
export async function diagnose(ctx: Context): Promise<DoctorReport> {
  const env = ctx.io.env;
  const commit = await ownCommit(ctx.sourceCommit);

  let timeoutMs = DEFAULT_GIT_TIMEOUT_MS;
  let timeoutProblem: string | null = null;
  try {
    timeoutMs = gitTimeoutMs(env);
  } catch (err) {
    timeoutProblem = err instanceof RunprovError
      ? `${err.message}${err.hint ? `; ${err.hint}` : ""}`
      : String(err);
  }
  const git = new Git({ cwd: ctx.global.dir, env, timeoutMs });
  const from = await fromCheck(ctx);
  // With a readable RUNPROV_FROM, env and exec need no git: its absence is a fact, not a fault.
  const gitOptional = from.status === "ok";

  const gitPath = await findOnPath("git", env.PATH ?? env.Path, env.PATHEXT);
  let gitVersion: string | null = null;
  let gitProblem: string | null = null;
  try {
    gitVersion = await git.version();
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    gitProblem = failureReason(err);
  }

  const repository: DoctorReport["repository"] = {
    status: "fail",
    root: null,
    head: null,
    reason_code: null,
    reason: null,
  };
  const safe: DoctorReport["safe_directory"] = { status: "info", detail: "", fix: null };
  if (gitProblem !== null) {
    repository.reason_code = "git-not-found";
    repository.reason = "git cannot run, so no repository can be read";
    if (gitOptional) repository.status = "info";
    safe.detail = "not checked (git cannot run)";
  } else {
    try {
      const info = await git.repoInfo();
      repository.root = info.root;
      repository.head = info.headShort;
      if (info.headShort === null) {
        repository.status = "warn";
        repository.reason_code = "unborn-head";
        repository.reason = "HEAD has no commits yet (or does not name a readable commit)";
      } else {
        repository.status = "ok";
      }
      const owner = await ownerUid(info.root);
      const me = uid();
      if (owner === null || me === null || owner === me) {
        safe.status = "ok";
        safe.detail = "not needed: the repository is yours";
      } else {
        safe.status = "ok";
        safe.detail = `the repository is owned by uid ${owner}, not you (uid ${me}); ` +
          `git trusts it (safe.directory, or SUDO_UID)`;
      }
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      repository.reason_code = err.failure;
      repository.reason = failureReason(err);
      repository.status = SOFT.includes(err.failure) ? "warn" : "fail";
      if (err.failure === "dubious-ownership") {
        const path = dubiousPath(err.stderr) ?? ctx.global.dir;
        repository.root = path;
        safe.status = "fail";
        safe.detail = `git refuses ${path}: it is owned by another user (dubious ownership)`;
        safe.fix = `git config --global --add safe.directory ${shellWord(path)}`;
      } else {
        safe.detail = "not applicable (no repository)";
      }
    }
  }

  const untrusted = repository.reason_code === "dubious-ownership";
  const config = await configCheck(ctx, untrusted ? null : repository.root, untrusted);
  const settings: Config = config.loaded?.config ?? defaultConfig();
  const recordBase = repository.root ?? ctx.global.dir;
  const recPath = recordDir(recordBase, settings.dir);
  const probe = await probeWritable(recPath);
  let timeoutSource: DoctorReport["git_timeout"]["source"] = env.RUNPROV_GIT_TIMEOUT
    ? "RUNPROV_GIT_TIMEOUT"
    : "default";
  if (timeoutSource === "default" && config.loaded?.setKeys.has("git_timeout")) {
    timeoutMs = Math.round(settings.git_timeout * 1000);
    timeoutSource = "config";
  }
  const runTags = repository.root !== null && !untrusted && gitProblem === null
    ? await runTagsCheck(git.withTimeout(timeoutMs), repository.root, settings)
    : {
      status: "info" as CheckStatus,
      refs: settings.tag.refs,
      in_refs_tags: null,
      versioning: null,
      detail: "not checked (no repository git can read)",
      fix: [],
    };

  const ids = schedulerIds(env);
  const partial = {
    runprov: { version: VERSION, commit, compiled: Deno.build.standalone === true },
    git: {
      status: (gitProblem === null ? "ok" : gitOptional ? "info" : "fail") as CheckStatus,
      path: gitPath,
      version: gitVersion,
      problem: gitProblem,
    },
    repository,
    safe_directory: safe,
    config: config.report,
    from,
    record_dir: {
      status: (probe.writable ? "ok" : "fail") as CheckStatus,
      path: recPath,
      writable: probe.writable,
      problem: probe.problem,
    },
    run_tags: runTags,
    scheduler: { status: "info" as CheckStatus, detected: Object.keys(ids), ids },
    git_timeout: {
      status: (timeoutProblem === null ? "info" : "fail") as CheckStatus,
      seconds: timeoutMs / 1000,
      source: timeoutSource,
      problem: timeoutProblem,
    },
  };
  const exit = doctorExitCode(partial);
  return { ...partial, ok: exit === 0, exit_code: exit };
}

/**
 * The configuration as every other command would load it: an error is a `fail` with its
 * `file:line:column:` message; a repository git does not trust is not read at all.
 */
async function configCheck(
  ctx: Context,
  root: string | null,
  untrusted: boolean,
): Promise<{ report: DoctorReport["config"]; loaded: LoadedConfig | null }> {
  try {
    const loaded = await configFor(ctx, root);
    const skipped = untrusted && loaded.fileSource === null
      ? `the repository's ${CONFIG_FILE} is not read: git does not trust the repository`
      : null;
    return {
      report: {
        status: skipped ? "info" : loaded.file ? "ok" : "info",
        file: loaded.file,
        source: loaded.fileSource,
        problem: skipped,
      },
      loaded,
    };
  } catch (err) {
    if (!(err instanceof RunprovError)) throw err;
    return {
      report: {
        status: "fail",
        file: null,
        source: ctx.global.config ? "flag" : ctx.io.env.RUNPROV_CONFIG ? "env" : "repo",
        problem: err.message,
      },
      loaded: null,
    };
  }
}

/** `RUNPROV_FROM`, when set: is it a record env and exec can take git facts from? */
async function fromCheck(ctx: Context): Promise<DoctorReport["from"]> {
  const raw = ctx.io.env.RUNPROV_FROM;
  if (!raw) return { status: "info", path: null, run_id: null, sha: null, problem: null };
  const path = isAbsolute(raw) ? raw : resolve(ctx.io.cwd, raw);
  try {
    const rec = await readRecordOrFail(path);
    return { status: "ok", path, run_id: rec.run_id, sha: rec.git.sha, problem: null };
  } catch (err) {
    if (!(err instanceof RunprovError)) throw err;
    return { status: "fail", path, run_id: null, sha: null, problem: err.message };
  }
}

/**
 * Run tags under refs/tags (found by their `Runprov-Run:` trailer, whatever their prefix)
 * and whether the repository's version numbers come from git describe.
 */
async function runTagsCheck(
  git: Git,
  root: string,
  config: Config,
): Promise<DoctorReport["run_tags"]> {
  const files: Record<string, string | null> = {};
  for (const f of VERSIONING_FILES) {
    files[f] = await Deno.readTextFile(join(root, f)).catch(() => null);
  }
  const versioning = describeVersioning(files);
  let count: number;
  try {
    count = (await git.listTags("refs/tags/")).filter((t) => parseTrailers(t.message).run)
      .length;
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    return {
      status: "info",
      refs: config.tag.refs,
      in_refs_tags: null,
      versioning,
      detail: `not checked: ${failureReason(err)}`,
      fix: [],
    };
  }
  const advice = runTagAdvice({
    refs: config.tag.refs,
    count,
    versioning,
    remote: config.tag.remote,
  });
  return { ...advice, refs: config.tag.refs, in_refs_tags: count, versioning };
}

async function ownerUid(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).uid;
  } catch {
    return null;
  }
}

function uid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

const CONFIG_SOURCE = { flag: "--config", env: "RUNPROV_CONFIG", repo: "repository top" };

/** The one-screen text of a report. Pure. */
export function renderDoctor(r: DoctorReport): string {
  const lines: string[] = [];
  const line = (status: CheckStatus | "", label: string, text: string) =>
    lines.push(`${(status === "fail" ? "FAIL" : status).padEnd(4)}  ${label.padEnd(14)}  ${text}`);
  const more = (text: string) => lines.push(`${"".padEnd(22)}${text}`);

  line(
    "info",
    "runprov",
    `${r.runprov.version}${r.runprov.commit ? ` (commit ${r.runprov.commit})` : ""}` +
      (r.runprov.compiled ? "" : ", from source"),
  );
  if (r.git.status === "ok") {
    line("ok", "git", `${r.git.path ?? "git"} (version ${r.git.version})`);
  } else if (r.git.status === "info") {
    line("info", "git", `${r.git.problem ?? "git cannot run"}; not needed: RUNPROV_FROM is set`);
  } else {
    line("fail", "git", r.git.problem ?? "git cannot run");
    more("install git or put it on PATH (runprov runs the git it finds on PATH)");
  }
  const repo = r.repository;
  if (repo.status === "ok") {
    line("ok", "repository", `${repo.root} (HEAD ${repo.head})`);
  } else {
    line(repo.status, "repository", `${repo.root ? `${repo.root}: ` : ""}${repo.reason}`);
    if (r.from.status === "ok") {
      more("env and exec take the git facts from RUNPROV_FROM instead");
    } else if (repo.reason_code === "not-a-repository") {
      more("runs here record sha 'unknown' (strict refuses them); use -C DIR or --from FILE");
    }
  }
  line(r.safe_directory.status, "safe.directory", r.safe_directory.detail);
  if (r.safe_directory.fix) {
    more(`if you trust this checkout, run: ${r.safe_directory.fix}`);
    more("(never safe.directory '*': it lets any repository's config run programs)");
  }
  const c = r.config;
  if (c.status === "fail") {
    line("fail", "config", c.problem ?? "the configuration cannot be read");
    more("every command but doctor stops with exit 2 until it is fixed");
  } else if (c.file) {
    line("ok", "config", `${c.file} (${CONFIG_SOURCE[c.source!]})`);
  } else {
    line("info", "config", c.problem ?? "no configuration file: defaults");
  }
  if (r.from.path !== null) {
    if (r.from.status === "ok") {
      line(
        "ok",
        "RUNPROV_FROM",
        `${r.from.path}: run ${r.from.run_id}, commit ${r.from.sha?.slice(0, 12)} ` +
          "(env and exec use it instead of git)",
      );
    } else {
      line("fail", "RUNPROV_FROM", r.from.problem ?? `${r.from.path} cannot be read`);
    }
  }
  if (r.record_dir.writable) {
    line("ok", "record dir", `${r.record_dir.path} is writable`);
  } else {
    line("fail", "record dir", `${r.record_dir.path} cannot be written: ${r.record_dir.problem}`);
    more("fix the directory's permissions, or write records elsewhere with --out FILE");
  }
  const sched = r.scheduler.detected.length === 0 ? "none detected" : r.scheduler.detected.map(
    (name) => {
      const ids = r.scheduler.ids[name as keyof SchedulerIds] ?? {};
      const parts = Object.entries(ids).map(([k, v]) => `${k}=${v}`);
      return parts.length ? `${name} (${parts.join(", ")})` : name;
    },
  ).join("; ");
  line(r.run_tags.status, "run tags", r.run_tags.detail);
  if (r.run_tags.status === "warn") {
    r.run_tags.fix.forEach((f, i) => {
      more(`${i === 0 ? "fix" : "   "} ${i + 1}. ${f.step}${f.run ? ":" : ""}`);
      if (f.run) more(`       ${f.run}`);
    });
  }
  line("info", "scheduler", sched);
  if (r.git_timeout.problem) {
    line("fail", "git timeout", r.git_timeout.problem);
  } else {
    line(
      "info",
      "git timeout",
      `${r.git_timeout.seconds} s ${
        r.git_timeout.source === "default"
          ? "(default; RUNPROV_GIT_TIMEOUT=SECONDS changes it)"
          : r.git_timeout.source === "config"
          ? "(config git_timeout)"
          : "(RUNPROV_GIT_TIMEOUT)"
      }`,
    );
  }
  lines.push(
    r.ok
      ? "runprov can work here."
      : `runprov cannot work here (exit ${r.exit_code}): fix the FAIL lines above.`,
  );
  return lines.join("\n") + "\n";
}

/** Run `doctor`. */
export async function doctor(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("doctor", args, { json: { type: "boolean" } });
  if (values.help) {
    await ctx.io.stdout(DOCTOR_HELP);
    return 0;
  }
  const report = await diagnose(ctx);
  await ctx.io.stdout(values.json ? JSON.stringify(report, null, 2) + "\n" : renderDoctor(report));
  return report.exit_code;
}
