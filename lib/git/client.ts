/**
 * The only module that spawns git. Every call goes through {@link Git.run}, which applies
 * the hygiene of docs/architecture.md, "How runprov talks to git": argv arrays only,
 * `-c core.fsmonitor=false`, no optional locks, a scrubbed environment, `LC_ALL=C`, no
 * prompts, closed stdin and a time limit.
 */
import { parsePorcelainV2, type StatusReport } from "./porcelain.ts";
import { redactText } from "./redact_url.ts";
import { clipped } from "../errors.ts";

/** What one git process gave back. */
export interface GitResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  /** The stdout sink asked to stop, and git was killed on purpose (see `onStdout`). */
  stopped?: boolean;
}

/** Receives git's stdout chunk by chunk; returning false stops reading and kills git. */
export type StdoutSink = (chunk: Uint8Array) => boolean | Promise<boolean>;

/** Spawns git. Replaceable in tests (to assert the exact argv) and in benchmarks. */
export type GitRunner = (
  args: readonly string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    /** Stream stdout here instead of collecting it (then `stdout` is empty). */
    onStdout?: StdoutSink;
    /** Bytes for git's stdin (else stdin is closed). */
    input?: Uint8Array;
  },
) => Promise<GitResult>;

/** Why git could not answer, as a stable code (also stored as `git.reason_code`). */
export type GitFailure =
  | "git-not-found"
  | "not-a-repository"
  | "not-a-work-tree"
  | "dubious-ownership"
  | "unborn-head"
  | "corrupt-head"
  | "timeout"
  | "bad-config"
  | "bad-index"
  | "git-failed";

/** A git process that failed: its argv, exit code, stderr and a classified reason. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number,
    readonly stderr: string,
    readonly failure: GitFailure,
    message?: string,
  ) {
    super(
      message ??
        `git ${clipped(args.join(" "), 200)} failed (exit ${code}): ${
          clipped(firstLine(stderr), 300)
        }`,
    );
    this.name = "GitError";
  }
}

/** The line of git's stderr that says what went wrong: the first `fatal:`/`error:` line. */
export function firstLine(s: string): string {
  const lines = s.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith("fatal:") || l.startsWith("error:")) ?? lines[0] ?? "";
}

/**
 * Variables git reads to find a repository (`git rev-parse --local-env-vars`, git 2.39).
 * Inherited from a parent git (a hook, an alias) they point runprov at the wrong repository.
 */
export const SCRUBBED_GIT_VARS = [
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_CONFIG",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
  "GIT_OBJECT_DIRECTORY",
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_IMPLICIT_WORK_TREE",
  "GIT_GRAFT_FILE",
  "GIT_INDEX_FILE",
  "GIT_NO_REPLACE_OBJECTS",
  "GIT_REPLACE_REF_BASE",
  "GIT_PREFIX",
  "GIT_INTERNAL_SUPER_PREFIX",
  "GIT_SHALLOW_FILE",
  "GIT_COMMON_DIR",
] as const;

/**
 * The environment every git child gets: the parent's, minus repository-location variables
 * (and numbered `GIT_CONFIG_KEY_n`/`VALUE_n`), plus the fixed settings runprov relies on.
 */
export function gitEnv(parent: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  const drop = new Set<string>(SCRUBBED_GIT_VARS);
  for (const [k, v] of Object.entries(parent)) {
    if (drop.has(k) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k)) continue;
    env[k] = v;
  }
  env.GIT_OPTIONAL_LOCKS = "0";
  env.LC_ALL = "C";
  delete env.LANGUAGE;
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_ADVICE = "0";
  env.GIT_PAGER = "cat";
  env.GIT_NO_LAZY_FETCH = "1";
  return env;
}

/** Names of inherited location variables that runprov ignores (for one warning). */
export function inheritedGitVars(parent: Record<string, string>): string[] {
  return SCRUBBED_GIT_VARS.filter((k) => parent[k] !== undefined);
}

/** Options prepended to every git command line. */
export const GIT_GLOBAL_ARGS = ["-c", "core.fsmonitor=false"] as const;

/**
 * Config that switches hooks off for one call: the repository's `post-index-change`,
 * `reference-transaction` and `post-checkout` hooks must not run (or change files) when
 * runprov writes a temporary index, a snapshot ref or a restored worktree.
 */
export const NO_HOOKS: readonly [string, string][] = [["core.hooksPath", "/dev/null"]];

const decoder = new TextDecoder();

/** The default runner: `Deno.Command`, stdin closed (or fed `input`), SIGKILL at the deadline. */
export const denoGitRunner: GitRunner = async (args, { cwd, env, timeoutMs, onStdout, input }) => {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("git", {
      args: [...args],
      cwd,
      env,
      clearEnv: true,
      stdin: input ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new GitError(
        args,
        127,
        "",
        "git-not-found",
        "git is not installed or not on PATH",
      );
    }
    if (err instanceof Deno.errors.NotADirectory || err instanceof Deno.errors.PermissionDenied) {
      throw new GitError(args, 126, String(err), "git-failed", `cannot run git in ${cwd}: ${err}`);
    }
    throw err;
  }
  // On the deadline: SIGKILL git and stop waiting, even if a grandchild (a hook, a
  // submodule's git) still holds the pipes open. AbortSignal.timeout, not setTimeout: in
  // Deno 2 the first setTimeout loads the Node timers (~10 ms of every run); the signal's
  // timer keeps the process alive only while the listener is attached.
  const signal = AbortSignal.timeout(timeoutMs);
  let onAbort: () => void = () => {};
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      reject(
        new GitError(
          args,
          137,
          "",
          "timeout",
          `git ${args.slice(GIT_GLOBAL_ARGS.length).join(" ")} did not finish within ${
            timeoutMs / 1000
          } s and was killed`,
        ),
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  // git reads its input while writing output: feed stdin concurrently, never before.
  const fed = input ? feedStdin(child, input) : Promise.resolve();
  fed.catch(() => {}); // a git that exits early closes the pipe; its exit code tells why
  try {
    if (onStdout) return await Promise.race([streamOutput(child, onStdout), deadline]);
    const out = await Promise.race([child.output(), deadline]);
    return { code: out.code, stdout: out.stdout, stderr: decoder.decode(out.stderr) };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
};

/** Write `input` to the child's stdin and close it. */
async function feedStdin(child: Deno.ChildProcess, input: Uint8Array): Promise<void> {
  const w = child.stdin.getWriter();
  try {
    await w.write(input);
    await w.close();
  } finally {
    w.releaseLock();
  }
}

/** Feed a child's stdout to `sink` chunk by chunk; stop and kill it when the sink says so. */
async function streamOutput(child: Deno.ChildProcess, sink: StdoutSink): Promise<GitResult> {
  const stderrP = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let stopped = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(await sink(value))) {
        stopped = true;
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  const status = await child.status;
  return { code: status.code, stdout: new Uint8Array(), stderr: await stderrP, stopped };
}

/**
 * Where the repository is, from the one `git rev-parse` call that locates it
 * ({@link Git.repoInfo} adds HEAD's abbreviation, {@link Git.locate} the tag names).
 */
export interface RepoInfo {
  /** Absolute path of the working tree's top. */
  root: string;
  gitDir: string;
  commonDir: string;
  shallow: boolean;
  /** True for a linked worktree (`git worktree add`). */
  linkedWorktree: boolean;
}

/** `git rev-parse` options that locate the repository (four lines of output). */
const LOCATE_ARGS = [
  "rev-parse",
  "--path-format=absolute",
  "--show-toplevel",
  "--absolute-git-dir",
  "--git-common-dir",
  "--is-shallow-repository",
] as const;

/**
 * The four lines {@link LOCATE_ARGS} print, and whatever the call printed after them.
 * `realCwd` is the real path of the directory git ran in (null when unknown).
 *
 * git prints one path per line, so a path holding a newline (`/x/a\nb`) would read as two
 * lines (`/x/a`, an existing directory runprov would then write into). When the real
 * directory holds a newline, or the lines do not have their shape (three absolute paths,
 * then `true`/`false`), the output is read by what the paths must be instead: the top is
 * the one prefix of the output that is the directory itself or a directory above it, and
 * the git directory is the common directory or below it. Output that still cannot be read
 * one way only is a GitError (runprov never guesses where the repository is).
 *
 * @example
 * parseLocation(out("/x/a\nb\n/x/a\nb/.git\n/x/a\nb/.git\nfalse\n"), "/x/a\nb").where.root; // "/x/a\nb"
 */
export function parseLocation(res: GitResult, realCwd: string | null): {
  where: RepoInfo;
  rest: string[];
} {
  const out = text(res.stdout);
  const lines = out.split("\n");
  if (lines.length < 4) throw new GitError(["rev-parse"], res.code, res.stderr, "git-failed");
  const plain = !realCwd?.includes("\n") && isBool(lines[3]) &&
    lines.slice(0, 3).every(isAbsolutePath);
  const split = plain
    ? {
      root: lines[0],
      gitDir: lines[1],
      commonDir: lines[2],
      shallow: lines[3],
      rest: lines.slice(4),
    }
    : realCwd === null
    ? null
    : splitLocation(out, realCwd);
  if (split === null) {
    throw new GitError(
      ["rev-parse"],
      res.code,
      res.stderr,
      "git-failed",
      "git printed the repository's paths in a way that cannot be read one way only (a " +
        "path holding a newline?): runprov does not guess where the repository is",
    );
  }
  const { root, gitDir, commonDir, shallow, rest } = split;
  return {
    where: {
      root,
      gitDir,
      commonDir,
      shallow: shallow === "true",
      linkedWorktree: gitDir !== commonDir,
    },
    rest,
  };
}

/** An absolute path as git prints one (POSIX, or a Windows drive or UNC path). */
function isAbsolutePath(line: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(line);
}

function isBool(line: string | undefined): boolean {
  return line === "true" || line === "false";
}

/** `dir` is `path` or a directory above it. */
function isAtOrAbove(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** Read {@link LOCATE_ARGS} output whose paths may hold newlines (see parseLocation). */
function splitLocation(out: string, realCwd: string): {
  root: string;
  gitDir: string;
  commonDir: string;
  shallow: string;
  rest: string[];
} | null {
  for (let p = out.indexOf("\n"); p >= 0; p = out.indexOf("\n", p + 1)) {
    const root = out.slice(0, p);
    if (!root.startsWith("/") || !isAtOrAbove(root, realCwd)) continue;
    const lines = out.slice(p + 1).split("\n");
    for (let k = 2; k < lines.length; k++) {
      if (!isBool(lines[k])) continue;
      for (let j = 1; j < k; j++) {
        const gitDir = lines.slice(0, j).join("\n");
        const commonDir = lines.slice(j, k).join("\n");
        if (!gitDir.startsWith("/") || !commonDir.startsWith("/")) continue;
        if (gitDir === commonDir || gitDir.startsWith(`${commonDir}/`)) {
          return { root, gitDir, commonDir, shallow: lines[k], rest: lines.slice(k + 1) };
        }
      }
    }
    return null; // the top is unique: no other prefix can be it
  }
  return null;
}

/**
 * Split `git describe --long --always` output: `v1.0-0-gabc1234` is `v1.0` (what describe
 * prints without --long at a tag), `v1.0-3-gabc1234` stays, and a bare `abc1234` (no tag)
 * is the hash alone.
 *
 * @example
 * parseDescribeLong("v1.0-0-gabc1234"); // { describe: "v1.0", abbrev: "abc1234" }
 */
export function parseDescribeLong(out: string): { describe: string; abbrev: string } {
  const m = /^(.*)-(\d+)-g([0-9a-f]{4,64})$/s.exec(out);
  if (!m) return { describe: out, abbrev: out };
  const [, tag, distance, abbrev] = m;
  return { describe: distance === "0" ? tag : out, abbrev };
}

/**
 * The tag a `git describe --long --always` output is based on, or null for the hash alone.
 *
 * @example
 * describedTag("v1.0-3-gabc1234"); // "v1.0"
 */
export function describedTag(out: string): string | null {
  return /^(.*)-\d+-g[0-9a-f]{4,64}$/s.exec(out)?.[1] ?? null;
}

/** One remote's URLs, exactly as configured (not yet redacted). */
export interface RemoteConfig {
  url?: string;
  pushurl?: string;
}

/** One configured filter driver (`filter.<name>.*`): the programs git would run. */
export interface FilterDriver {
  clean?: string;
  smudge?: string;
  process?: string;
}

/** The remotes, branch tracking settings and filter drivers, from one `git config` call. */
export interface RepoConfig {
  remotes: Map<string, RemoteConfig>;
  branches: Map<string, { remote?: string; merge?: string }>;
  filters: Map<string, FilterDriver>;
}

/**
 * Filter commands runprov lets `git status` run: exactly what `git lfs install` writes.
 * git-lfs is a program the user installed; without it, LFS files whose stat data is stale
 * would look modified.
 */
export const TRUSTED_FILTER_COMMANDS: ReadonlySet<string> = new Set([
  "git-lfs clean -- %f",
  "git-lfs smudge -- %f",
  "git-lfs filter-process",
]);

/**
 * Config overrides that switch off every filter driver naming a program other than
 * {@link TRUSTED_FILTER_COMMANDS}: `git status` runs a clean filter when a file's stat data
 * is stale, so repository config could otherwise make a capture run any program.
 *
 * @example
 * filterOverrides(parseConfigZ("filter.x.clean\nsh evil.sh\0"));
 * // [["filter.x.clean", ""], ["filter.x.smudge", ""], ["filter.x.process", ""], ["filter.x.required", "false"]]
 */
export function filterOverrides(cfg: RepoConfig): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, d] of cfg.filters) {
    const cmds = [d.clean, d.smudge, d.process].filter((c) => c !== undefined);
    if (cmds.every((c) => TRUSTED_FILTER_COMMANDS.has(c!))) continue;
    out.push(
      [`filter.${name}.clean`, ""],
      [`filter.${name}.smudge`, ""],
      [`filter.${name}.process`, ""],
      [`filter.${name}.required`, "false"],
    );
  }
  return out;
}

/**
 * Whether `git <args>` may run the repository's clean or smudge filter programs: it reads
 * or writes working-tree files (status, diff-index without --cached, add, checkout,
 * worktree add, submodule update, read-tree -u...).
 */
export function mayRunFilters(args: readonly string[]): boolean {
  switch (args[0]) {
    case "status":
    case "add":
    case "checkout":
    case "submodule":
    case "diff-files":
    case "stash":
    case "reset":
    case "restore":
    case "switch":
    case "merge":
    case "rm":
    case "mv":
    case "commit":
      return true;
    case "diff-index":
      return !args.includes("--cached");
    case "read-tree":
      return args.includes("-u");
    case "worktree":
      return args[1] === "add";
    case "apply":
      return !args.includes("--cached") && !args.includes("--numstat");
    default:
      return false;
  }
}

/** Options for a {@link Git} client. */
export interface GitOptions {
  /** Directory git runs in (runprov's `-C`). */
  cwd: string;
  /** The parent environment (usually `Deno.env.toObject()`); scrubbed by {@link gitEnv}. */
  env: Record<string, string>;
  /** Milliseconds before a git process is killed. */
  timeoutMs?: number;
  runner?: GitRunner;
}

/** Default time limit for one git process: 60 s (`RUNPROV_GIT_TIMEOUT` overrides). */
export const DEFAULT_GIT_TIMEOUT_MS = 60_000;

/** Least time limit of a git process that checks out a whole tree (see checkoutTimeoutMs). */
export const CHECKOUT_TIMEOUT_MS = 30 * 60_000;

/**
 * A typed git client. Each method is one git process and returns parsed facts;
 * failures are {@link GitError}s with a {@link GitFailure} reason.
 */
export class Git {
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Milliseconds before a git process is killed, fixed at construction (see withTimeout). */
  readonly timeoutMs: number;
  readonly #runner: GitRunner;
  /** Every argv this client ran, in order (for tests and `RUNPROV_DEBUG`). */
  readonly calls: string[][] = [];
  /**
   * The repository's config, asked once per client (and the clients {@link Git.withTimeout}
   * derives); its {@link filterOverrides} apply to every call that {@link mayRunFilters},
   * whatever the order of the client's calls.
   */
  #shared: {
    config: Promise<{ cfg: RepoConfig; overrides: readonly [string, string][] }> | null;
  } = { config: null };

  constructor(opts: GitOptions) {
    this.cwd = opts.cwd;
    this.env = gitEnv(opts.env);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
    this.#runner = opts.runner ?? denoGitRunner;
  }

  /**
   * This client with another time limit for every later call: same directory, environment,
   * call log and repository config (asked at most once for both).
   */
  withTimeout(timeoutMs: number): Git {
    if (timeoutMs === this.timeoutMs) return this;
    const derived = new Git({ cwd: this.cwd, env: {}, timeoutMs, runner: this.#runner });
    Object.assign(derived, { env: this.env, calls: this.calls });
    derived.#shared = this.#shared;
    return derived;
  }

  /**
   * Run `git <args>`; resolve with the result when the exit code is in `ok` (default [0]),
   * otherwise reject with a classified {@link GitError}.
   */
  async run(
    args: readonly string[],
    opts: {
      ok?: readonly number[];
      cwd?: string;
      onStdout?: StdoutSink;
      /** Bytes for git's stdin. */
      input?: Uint8Array;
      /**
       * Variables for this call only, over the scrubbed environment: a temporary
       * `GIT_INDEX_FILE`, a fixed identity, `GIT_LITERAL_PATHSPECS`.
       */
      env?: Record<string, string>;
      /** Config for this call only (command-line scope), after the client's overrides. */
      config?: readonly [string, string][];
      /** Milliseconds before this call is killed, instead of the client's limit. */
      timeoutMs?: number;
    } = {},
  ): Promise<GitResult> {
    // A command that may run the repository's filter programs waits for the overrides that
    // switch them off (one `git config` per client, asked before the first such command).
    const filters = mayRunFilters(args) ? (await this.#repoConfig()).overrides : [];
    const argv = [...GIT_GLOBAL_ARGS, ...args];
    this.calls.push(argv);
    const overrides = opts.config ? [...filters, ...opts.config] : filters;
    let env = overrides.length ? { ...this.env, ...configEnv(overrides) } : this.env;
    if (opts.env) env = { ...env, ...opts.env };
    const res = await this.#runner(argv, {
      cwd: opts.cwd ?? this.cwd,
      env,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      onStdout: opts.onStdout,
      input: opts.input,
    });
    // A runner that does not stream (a test's fake) hands its whole stdout to the sink.
    if (opts.onStdout && res.stdout.length > 0) {
      if (!(await opts.onStdout(res.stdout))) res.stopped = true;
      res.stdout = new Uint8Array();
    }
    if (res.stopped) return res;
    if (!(opts.ok ?? [0]).includes(res.code)) {
      throw new GitError(argv, res.code, redactText(res.stderr, []), classify(res.stderr));
    }
    return res;
  }

  /** The real path of the directory git runs in (what git's own paths start from), or null. */
  #realCwd(): Promise<string | null> {
    return Deno.realPath(this.cwd).catch(() => null);
  }

  /** `git --version`, e.g. "2.39.5". */
  async version(): Promise<string> {
    const out = text((await this.run(["--version"])).stdout).trim();
    return out.replace(/^git version /, "");
  }

  /**
   * Locate the repository: top, git dirs, shallowness and the abbreviated HEAD, in one call.
   * Throws `not-a-repository`, `dubious-ownership`, `not-a-work-tree` as {@link GitError}.
   */
  async repoInfo(): Promise<RepoInfo & { headShort: string | null }> {
    // --verify must come last; with -q an unborn or broken HEAD is exit 1 and no line.
    const real = this.#realCwd();
    const res = await this.run([...LOCATE_ARGS, "--short", "-q", "--verify", "HEAD^{commit}"], {
      ok: [0, 1],
    });
    const { where, rest } = parseLocation(res, await real);
    return { ...where, headShort: res.code === 0 && rest[0] ? rest[0] : null };
  }

  /**
   * Locate the repository and list its tag names, in one `git rev-parse` call that
   * succeeds in any working tree (unborn HEAD included). The tag list lets a capture skip
   * `git describe` when no tag can name HEAD: describe would otherwise walk all history.
   */
  async locate(): Promise<RepoInfo & { tags: string[] }> {
    // --symbolic prints tag names as for-each-ref gives them, without refs/tags/;
    // --symbolic-full-name would drop a tag whose name is also a branch (ambiguous).
    const real = this.#realCwd();
    const res = await this.run([...LOCATE_ARGS, "--symbolic", "--tags"]);
    const { where, rest } = parseLocation(res, await real);
    return { ...where, tags: rest.filter((r) => r !== "") };
  }

  /**
   * `git describe --long --always --tags` of `rev`, leaving out the tags matching any of the
   * `exclude` patterns (`run/*`): git's raw output, e.g. `v1.0-3-gabc1234` or `abc1234`.
   * See {@link parseDescribeLong} and {@link describedTag}.
   */
  async describeLong(rev: string, exclude: readonly string[]): Promise<string> {
    const res = await this.run([
      "describe",
      "--long",
      "--always",
      "--tags",
      ...exclude.flatMap((p) => ["--exclude", p]),
      "--end-of-options",
      rev,
    ]);
    return text(res.stdout).trim();
  }

  /** HEAD's abbreviated hash (`git rev-parse --short HEAD`). */
  async shortHead(): Promise<string> {
    return text((await this.run(["rev-parse", "--short", "HEAD"])).stdout).trim();
  }

  /**
   * The one working-tree scan: `git status --porcelain=v2 --branch -z --show-stash`.
   * `untracked` picks `-unormal` (list) or `-uno` (skip the untracked walk entirely);
   * `config` are overrides for this call (e.g. {@link filterOverrides}).
   */
  async status(untracked: "normal" | "no" = "normal"): Promise<StatusReport> {
    const res = await this.run([
      "status",
      "--porcelain=v2",
      "--branch",
      "-z",
      "--show-stash",
      `--untracked-files=${untracked}`,
    ]);
    return parsePorcelainV2(text(res.stdout));
  }

  /**
   * Remote URLs, branch tracking settings and filter drivers, from one
   * `git config -z --get-regexp` call.
   */
  async config(): Promise<RepoConfig> {
    return (await this.#repoConfig()).cfg;
  }

  /** The config and its filter overrides, asked once per client (see {@link Git.run}). */
  #repoConfig(): Promise<{ cfg: RepoConfig; overrides: readonly [string, string][] }> {
    this.#shared.config ??= this.run([
      "config",
      "-z",
      "--get-regexp",
      "^(remote\\..*\\.(url|pushurl)|branch\\..*\\.(remote|merge)|filter\\..*\\.(clean|smudge|process))$",
    ], { ok: [0, 1] }).then((res) => {
      // Exit 1 means no key matched: a repository without remotes.
      const cfg = parseConfigZ(text(res.stdout));
      return { cfg, overrides: filterOverrides(cfg) };
    });
    return this.#shared.config;
  }

  /**
   * The untracked, not-ignored files below `dirs` (directories `git status` showed collapsed,
   * as `dir/`), handed one by one to `each` until it returns false, which stops git:
   * `git ls-files -z --others --exclude-standard -- :(literal)<dir>...`, run at the
   * repository top `top` (`dirs` and the paths handed out are relative to it, as `git status`
   * lists them). Only those directories are walked; an untracked nested repository stays
   * one `dir/` entry.
   */
  async untrackedBelow(
    dirs: readonly string[],
    each: (path: string) => boolean,
    top: string,
  ): Promise<void> {
    if (dirs.length === 0) return;
    const utf8 = new TextDecoder();
    let partial = "";
    await this.run(
      [
        "ls-files",
        "-z",
        "--others",
        "--exclude-standard",
        "--",
        ...dirs.map((d) => `:(literal)${d}`),
      ],
      {
        cwd: top,
        onStdout: (chunk) => {
          partial += utf8.decode(chunk, { stream: true });
          const paths = partial.split("\0");
          partial = paths.pop()!;
          for (const p of paths) if (!each(p)) return false;
          return true;
        },
      },
    );
  }

  /** Whether `sha` is contained in any remote-tracking ref (as of the last fetch; no network). */
  async inAnyRemote(sha: string): Promise<boolean> {
    const res = await this.run([
      "for-each-ref",
      "--count=1",
      "--format=%(refname)",
      `--contains=${sha}`,
      "refs/remotes/",
    ]);
    return text(res.stdout).trim() !== "";
  }

  /** Recorded (index) commits of the given submodule paths: `git ls-files -s -z`. */
  async gitlinks(paths: readonly string[]): Promise<Map<string, string>> {
    const res = await this.run(["ls-files", "-s", "-z", "--", ...paths]);
    const out = new Map<string, string>();
    for (const rec of text(res.stdout).split("\0")) {
      const m = /^160000 ([0-9a-f]+) \d\t(.*)$/s.exec(rec);
      if (m) out.set(m[2], m[1]);
    }
    return out;
  }

  /**
   * The patch of the working tree against commit `sha` (staged and unstaged changes of
   * tracked files), streamed to `sink`: `git diff-index -p --binary`, which, unlike
   * `git diff`, never refreshes or writes the index (no `.git/index.lock`). Submodules
   * appear as `Subproject commit` lines when at another commit; their own edits are left out.
   * Not limited by pathspecs: git 2.39 takes seconds of CPU to match even one pathspec
   * against a 100,000-file index, far more than the stat pass it would save. The
   * repository's filter programs are off while the worktree is read (see {@link Git.run}).
   */
  async diffPatch(sha: string, sink: StdoutSink): Promise<{ stopped: boolean }> {
    const res = await this.run([
      "diff-index",
      "-p",
      "--binary",
      "--full-index",
      "--no-color",
      "--no-ext-diff",
      "--no-textconv",
      "--ignore-submodules=dirty",
      "--submodule=short",
      sha,
      "--",
    ], { onStdout: sink });
    return { stopped: !!res.stopped };
  }

  /**
   * The commit `rev` names (`rev-parse -q --verify --end-of-options <rev>^{commit}`), or null
   * when it names no commit in this repository.
   */
  async resolveCommit(rev: string): Promise<string | null> {
    const res = await this.run(
      ["rev-parse", "-q", "--verify", "--end-of-options", `${rev}^{commit}`],
      { ok: [0, 1, 128] },
    );
    return res.code === 0 ? text(res.stdout).trim() : null;
  }

  /**
   * Create the annotated (or, with `sign`, signed) tag `name` on `commit` with `message`,
   * create-only: git's ref transaction refuses an existing tag, so of two concurrent calls
   * exactly one creates it. Resolves `"created"`, or `"exists"` when the ref is already
   * there (or another process holds its lock); other failures are {@link GitError}s.
   * `namespace` other than `refs/tags/` (`refs/runprov/tags/`): see {@link Git.createTagRef}.
   */
  async createTag(
    name: string,
    commit: string,
    message: string,
    sign = false,
    namespace = "refs/tags/",
  ): Promise<"created" | "exists"> {
    if (namespace !== "refs/tags/") {
      return await this.createTagRef(namespace + name, name, commit, message);
    }
    const res = await this.run([
      "tag",
      sign ? "-s" : "-a",
      "--cleanup=verbatim",
      "-m",
      message,
      "--",
      name,
      commit,
    ], { ok: [0, 1, 128] });
    if (res.code === 0) return "created";
    if (tagExistsError(res.stderr)) return "exists";
    throw new GitError(
      [...GIT_GLOBAL_ARGS, "tag", name, commit],
      res.code,
      redactText(res.stderr, []),
      classify(res.stderr),
    );
  }

  /**
   * The annotated tag `name` on `commit` as the ref `ref` outside `refs/tags/` (where
   * `git describe`, and so version tools, never look, and plain clones never fetch): the tag
   * object is made by `git mktag` (tagger: `git var GIT_COMMITTER_IDENT`, the identity
   * `git tag` would use), then `git update-ref <ref> <object> ""` creates the ref only if it
   * does not exist. Resolves like {@link Git.createTag}.
   */
  async createTagRef(
    ref: string,
    name: string,
    commit: string,
    message: string,
  ): Promise<"created" | "exists"> {
    const ident = text((await this.run(["var", "GIT_COMMITTER_IDENT"])).stdout).trim();
    const body = `object ${commit}\ntype commit\ntag ${name}\ntagger ${ident}\n\n${message}`;
    const made = await this.run(["mktag"], { input: new TextEncoder().encode(body) });
    const object = text(made.stdout).trim();
    const res = await this.run(["update-ref", "--", ref, object, ""], { ok: [0, 1, 128] });
    if (res.code === 0) return "created";
    if (tagExistsError(res.stderr)) return "exists";
    throw new GitError(
      [...GIT_GLOBAL_ARGS, "update-ref", ref, object],
      res.code,
      redactText(res.stderr, []),
      classify(res.stderr),
    );
  }

  /**
   * Tags matching the patterns (e.g. `refs/tags/run/`), newest first, in one
   * `git for-each-ref` call: name, object, commit, date and the whole message.
   */
  async listTags(patterns: string | readonly string[]): Promise<TagRef[]> {
    const res = await this.run([
      "for-each-ref",
      "--sort=-creatordate",
      `--format=${TAG_FORMAT}`,
      ...(typeof patterns === "string" ? [patterns] : patterns),
    ]);
    return parseTagRefs(text(res.stdout));
  }

  /**
   * One tag by name (`run/x`), looked up under each of `namespaces` in order, or null when
   * there is no such tag.
   */
  async tagInfo(
    name: string,
    namespaces: readonly string[] = ["refs/tags/"],
  ): Promise<TagRef | null> {
    const all = await this.listTags(namespaces.map((ns) => ns + name));
    for (const ns of namespaces) {
      const hit = all.find((t) => t.ref === ns + name);
      if (hit) return hit;
    }
    return null;
  }

  /**
   * Push one ref to a configured remote, by name: `git push --porcelain --no-verify
   * <remote> <ref>`. Never throws for a rejected or failed push; the result says why.
   * Credentials in URLs git echoes are removed, and so is every string in `secrets`.
   */
  async pushRef(
    remote: string,
    ref: string,
    secrets: readonly string[] = [],
  ): Promise<PushResult> {
    const res = await this.run(
      ["push", "--porcelain", "--no-verify", "--", remote, `${ref}:${ref}`],
      { ok: [0, 1, 128] },
    );
    const out = redactText(text(res.stdout), secrets);
    const err = redactText(res.stderr, secrets);
    return parsePushPorcelain(out, err, res.code, ref);
  }

  /**
   * Push `refspecs` (`<commit>:<ref>`, never forced) to a configured remote, by name, in one
   * `git push --porcelain`; local hooks, tag following, submodule checks and signing off.
   * Never throws for a rejected or failed push: there is one result per destination ref.
   * Credentials git echoes are removed, and so is every string in `secrets`.
   */
  async pushRefspecs(
    remote: string,
    refspecs: readonly string[],
    secrets: readonly string[] = [],
  ): Promise<Map<string, PushResult>> {
    const res = await this.run([
      "push",
      "--porcelain",
      "--no-verify",
      "--no-follow-tags",
      "--no-signed",
      "--recurse-submodules=no",
      "--",
      remote,
      ...refspecs,
    ], { ok: [0, 1, 128] });
    const dsts = refspecs.map((r) => r.slice(r.lastIndexOf(":") + 1));
    return parsePushResults(
      redactText(text(res.stdout), secrets),
      redactText(res.stderr, secrets),
      res.code,
      dsts,
    );
  }

  /**
   * The remote's refs matching `pattern` (`git ls-remote --refs <remote> <pattern>`): one
   * process, no objects fetched. A remote that cannot be asked gives its reason instead.
   */
  async lsRemote(
    remote: string,
    pattern: string,
    secrets: readonly string[] = [],
  ): Promise<RemoteAnswer> {
    const res = await this.run(["ls-remote", "--refs", "--", remote, pattern], { ok: [0, 128] });
    if (res.code === 0) return { ok: true, out: text(res.stdout) };
    return remoteError(res, secrets);
  }

  /**
   * Fetch `refspecs` from a configured remote, by name, never forced (a local ref that
   * would change is left alone and the fetch exits 1): no tags, no FETCH_HEAD, no
   * remote-tracking refs, no submodules. A failure gives git's reason, credentials removed.
   */
  async fetchRefspecs(
    remote: string,
    refspecs: readonly string[],
    secrets: readonly string[] = [],
  ): Promise<RemoteAnswer> {
    const res = await this.run([
      "fetch",
      "--quiet",
      "--no-tags",
      "--no-write-fetch-head",
      "--recurse-submodules=no",
      "--refmap=",
      "--",
      remote,
      ...refspecs,
    ], { ok: [0, 1, 128] });
    if (res.code === 0) return { ok: true, out: "" };
    return remoteError(res, secrets);
  }

  /**
   * Apply `updates` to the refs in one transaction (`git update-ref --stdin -z`): all of
   * them or none. `old` "" means create-only; `new` "" means delete. Throws GitError when
   * git refuses (a ref exists, holds another value, or is locked).
   */
  async updateRefs(
    updates: readonly { ref: string; new: string; old: string }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    const lines = updates.map((u) =>
      u.new === ""
        ? `delete ${u.ref}\0${u.old}\0`
        : u.old === ""
        ? `create ${u.ref}\0${u.new}\0`
        : `update ${u.ref}\0${u.new}\0${u.old}\0`
    );
    await this.run(["update-ref", "--no-deref", "--stdin", "-z"], {
      input: new TextEncoder().encode(lines.join("")),
    });
  }

  /**
   * Read objects in one `git cat-file --batch` process: one answer per name in `names`
   * (`<commit>`, `<commit>:<path>`), in order; null for a name that names no object.
   */
  async catFileBatch(names: readonly string[]): Promise<(BatchObject | null)[]> {
    if (names.length === 0) return [];
    const res = await this.run(["cat-file", "--batch"], {
      input: new TextEncoder().encode(names.map((n) => `${n}\n`).join("")),
    });
    return parseCatFileBatch(res.stdout, names.length);
  }

  /**
   * The tracked changes against `sha` as one binary-safe diff: exactly the bytes
   * {@link Git.diffPatch} stores for a dirty run, so their sha256 identifies the run's code
   * (`git.patch.sha256`). Like it, it never takes `.git/index.lock`.
   */
  async trackedDiff(sha = "HEAD"): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    await this.diffPatch(sha, (chunk) => {
      chunks.push(chunk.slice());
      return true;
    });
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  /** HEAD of the repository at `dir` (a submodule's checked-out commit), or null. */
  async headAt(dir: string): Promise<string | null> {
    const res = await this.run(["rev-parse", "-q", "--verify", "HEAD^{commit}"], {
      cwd: dir,
      ok: [0, 1, 128],
    });
    return res.code === 0 ? text(res.stdout).trim() : null;
  }

  /**
   * Every ref under the given prefixes (`refs/runprov/runs/`), name and object id, in one
   * `git for-each-ref` call.
   */
  async refsUnder(prefixes: readonly string[]): Promise<Map<string, string>> {
    const res = await this.run([
      "for-each-ref",
      "--format=%(refname)%00%(objectname)",
      ...prefixes,
    ]);
    const out = new Map<string, string>();
    for (const line of text(res.stdout).split("\n")) {
      const [name, oid] = line.split("\0");
      if (name && oid) out.set(name, oid);
    }
    return out;
  }

  /**
   * The paths a patch file touches, as git reads them (`git apply --numstat -z`): for a
   * rename both names. Runs at the repository top `top` (git apply ignores paths outside
   * the directory it runs in).
   */
  async patchPaths(patchFile: string, top: string): Promise<string[]> {
    const res = await this.run(["apply", "--numstat", "-z", patchFile], { cwd: top });
    return parseNumstatZ(strictText(res.stdout, "git apply --numstat"));
  }

  /**
   * The entries of `commit`'s tree at exactly `paths` (`git ls-tree -r -z`, literal
   * pathspecs, in chunks so no argv grows too long). Paths not in the tree are left out.
   */
  async treeEntries(commit: string, paths: readonly string[], top: string): Promise<TreeEntry[]> {
    const wanted = new Set(paths);
    const out: TreeEntry[] = [];
    for (const chunk of chunks(paths, 500, 64 * 1024)) {
      const res = await this.run(["ls-tree", "-r", "-z", "--full-tree", commit, "--", ...chunk], {
        cwd: top,
        env: { GIT_LITERAL_PATHSPECS: "1" },
      });
      for (const e of parseLsTreeZ(strictText(res.stdout, "git ls-tree"))) {
        if (wanted.has(e.path)) out.push(e);
      }
    }
    return out;
  }

  /** Delete `ref` if it still points at `oid` (compare-and-delete: a moved ref is kept). */
  async deleteRef(ref: string, oid: string): Promise<void> {
    await this.run(["update-ref", "-d", ref, oid]);
  }

  /** Add `entries` to the index file `indexFile` (`git update-index -z --index-info`). */
  async indexInfo(indexFile: string, entries: readonly TreeEntry[], top: string): Promise<void> {
    const input = new TextEncoder().encode(
      entries.map((e) => `${e.mode} ${e.oid}\t${e.path}\0`).join(""),
    );
    await this.run(["update-index", "-z", "--index-info"], {
      cwd: top,
      input,
      env: { GIT_INDEX_FILE: indexFile },
      config: NO_HOOKS,
    });
  }

  /**
   * Apply a patch file to the index file `indexFile` only (`git apply --cached --binary`),
   * never to a working tree; whitespace settings of the repository cannot refuse or alter it.
   */
  async applyCached(indexFile: string, patchFile: string, top: string): Promise<void> {
    await this.run(["apply", "--cached", "--binary", "--whitespace=nowarn", patchFile], {
      cwd: top,
      env: { GIT_INDEX_FILE: indexFile },
      config: [...NO_HOOKS, ["apply.ignoreWhitespace", "no"], ["apply.whitespace", "nowarn"]],
    });
  }

  /** The stage-0 entries of the index file `indexFile` (`git ls-files -s -z`). */
  async indexEntries(indexFile: string, top: string): Promise<TreeEntry[]> {
    const res = await this.run(["ls-files", "-s", "-z"], {
      cwd: top,
      env: { GIT_INDEX_FILE: indexFile },
    });
    const out: TreeEntry[] = [];
    for (const rec of strictText(res.stdout, "git ls-files").split("\0")) {
      const m = /^(\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(rec);
      if (m && m[3] === "0") out.push({ mode: m[1], oid: m[2], path: m[4] });
    }
    return out;
  }

  /**
   * Run `git fast-import --quiet --done` on `stream` and return what it printed (the
   * stream's `get-mark` answers). It writes objects only; which refs it touches is up to the
   * stream.
   */
  async fastImport(stream: Uint8Array, top: string): Promise<string> {
    const res = await this.run(["fast-import", "--quiet", "--done"], {
      cwd: top,
      input: stream,
      config: NO_HOOKS,
    });
    return text(res.stdout);
  }

  /**
   * Create `ref` at `commit`, create-only (`git update-ref REF COMMIT ""`): resolves
   * `"created"`, or `"exists"` when the ref is already there (or another process holds its
   * lock); the caller compares the value.
   */
  async createRef(ref: string, commit: string): Promise<"created" | "exists"> {
    const res = await this.run(["update-ref", "--no-deref", ref, commit, ""], {
      ok: [0, 128],
      config: NO_HOOKS,
    });
    if (res.code === 0) return "created";
    if (/reference already exists|File exists|is at [0-9a-f]+ but expected/.test(res.stderr)) {
      return "exists";
    }
    throw new GitError(["update-ref", ref, commit], res.code, res.stderr, classify(res.stderr));
  }

  /**
   * Refs under `prefix` (`refs/runprov/snapshots/`) that point at commits, with each
   * commit's parents and message, in one `git for-each-ref`. `prefix` may also name one ref.
   */
  async commitRefs(prefix: string): Promise<CommitRef[]> {
    const res = await this.run([
      "for-each-ref",
      `--format=${COMMIT_REF_FORMAT}`,
      prefix,
    ]);
    return parseCommitRefs(text(res.stdout));
  }

  /** The commit `ref` names with its parents and message, or null when there is no such ref. */
  async commitRef(ref: string): Promise<CommitRef | null> {
    return (await this.commitRefs(ref)).find((r) => r.ref === ref) ?? null;
  }

  /**
   * The run tags under `tagPatterns` (both tag namespaces) and the refs under `refPrefixes`
   * (snapshot refs, shared runs' refs), in one `git for-each-ref` call (`runprov runs` lists
   * them all).
   */
  async listTagsAndRefs(
    tagPatterns: string | readonly string[],
    refPrefixes: readonly string[],
  ): Promise<{ tags: TagRef[]; refs: Map<string, string> }> {
    const res = await this.run([
      "for-each-ref",
      "--sort=-creatordate",
      `--format=${TAG_FORMAT}`,
      ...(typeof tagPatterns === "string" ? [tagPatterns] : tagPatterns),
      ...refPrefixes,
    ]);
    const tags: TagRef[] = [];
    const refs = new Map<string, string>();
    for (const t of parseTagRefs(text(res.stdout))) {
      if (refPrefixes.some((p) => t.ref.startsWith(p))) refs.set(t.ref, t.commit);
      else tags.push(t);
    }
    return { tags, refs };
  }

  /**
   * A new linked worktree at `dir`, detached at `commit` (`git worktree add --detach`),
   * with hooks off: a post-checkout hook must not change the files after git wrote them.
   */
  async worktreeAdd(dir: string, commit: string): Promise<void> {
    await this.run(["worktree", "add", "--detach", "--quiet", dir, commit], {
      config: NO_HOOKS,
      timeoutMs: this.checkoutTimeoutMs(),
    });
  }

  /**
   * The time limit of a call that writes a whole tree (a restored worktree, its submodules):
   * 30 minutes, or the client's limit when larger. Writing 100,000 files takes seconds on an
   * idle machine and minutes on a loaded one or a network file system.
   */
  checkoutTimeoutMs(): number {
    return Math.max(this.timeoutMs, CHECKOUT_TIMEOUT_MS);
  }

  /** Remove a linked worktree runprov made and could not finish (`git worktree remove --force`). */
  async worktreeRemove(dir: string): Promise<void> {
    await this.run(["worktree", "remove", "--force", "--force", dir], {
      ok: [0, 128],
      config: NO_HOOKS,
    });
  }

  /** Forget worktrees whose directories are gone (`git worktree prune`). */
  async worktreePrune(): Promise<void> {
    await this.run(["worktree", "prune"], { config: NO_HOOKS });
  }

  /**
   * Check out the submodules at `paths` of the worktree `dir` at the commits its tree
   * records (`git submodule update --init`), cloning each from `urls` (a local repository
   * where one exists, so no network is needed), hooks off.
   */
  async submoduleUpdate(
    dir: string,
    subs: readonly { name: string; path: string; url: string | null }[],
  ): Promise<void> {
    const config: [string, string][] = [
      ...NO_HOOKS,
      ["protocol.file.allow", "always"],
      ["uploadpack.allowAnySHA1InWant", "true"],
    ];
    for (const s of subs) {
      if (s.url !== null) config.push([`submodule.${s.name}.url`, s.url]);
      config.push([`submodule.${s.name}.active`, "true"], [
        `submodule.${s.name}.update`,
        "checkout",
      ]);
    }
    await this.run(
      ["submodule", "--quiet", "update", "--init", "--", ...subs.map((s) => s.path)],
      {
        cwd: dir,
        config,
        env: { GIT_LITERAL_PATHSPECS: "1" },
        timeoutMs: this.checkoutTimeoutMs(),
      },
    );
  }

  /**
   * The submodules `.gitmodules` declares in `commit` (name and path), read by git itself
   * (`git config --blob`); none when the commit has no `.gitmodules`.
   */
  async gitmodulesAt(commit: string): Promise<{ name: string; path: string }[]> {
    const has = await this.run(["cat-file", "-e", `${commit}:.gitmodules`], { ok: [0, 1, 128] });
    if (has.code !== 0) return [];
    const res = await this.run([
      "config",
      "--blob",
      `${commit}:.gitmodules`,
      "-z",
      "--get-regexp",
      "^submodule\\..*\\.path$",
    ], { ok: [0, 1] });
    const out: { name: string; path: string }[] = [];
    for (const rec of text(res.stdout).split("\0")) {
      const nl = rec.indexOf("\n");
      if (nl < 0) continue;
      const key = rec.slice(0, nl);
      out.push({ name: key.slice("submodule.".length, -".path".length), path: rec.slice(nl + 1) });
    }
    return out;
  }

  /**
   * The difference between two commits' trees (`git diff-tree -r`, renames found, no
   * external diff or textconv programs), streamed to `sink` as a patch, `--stat` or
   * `--name-only`. Resolves whether the trees differ.
   */
  async diffTrees(
    a: string,
    b: string,
    format: "patch" | "stat" | "name-only",
    sink: StdoutSink,
  ): Promise<boolean> {
    const how = format === "patch" ? ["-p"] : [`--${format}`];
    const res = await this.run([
      "diff-tree",
      "-r",
      "--exit-code",
      "-M",
      "--no-color",
      "--no-ext-diff",
      "--no-textconv",
      "--submodule=short",
      ...how,
      a,
      b,
      "--",
    ], { ok: [0, 1], onStdout: sink });
    return res.code === 1;
  }

  /** The trees of `commits`, in order (`git rev-parse C^{tree}...`, one call). */
  async treesOf(commits: readonly string[]): Promise<string[]> {
    const res = await this.run(["rev-parse", ...commits.map((c) => `${c}^{tree}`)]);
    return text(res.stdout).trim().split("\n");
  }

  /** The id of the empty tree in this repository's hash (`git hash-object -t tree`). */
  async emptyTree(): Promise<string> {
    const res = await this.run(["hash-object", "-t", "tree", "--stdin"]);
    return text(res.stdout).trim();
  }

  /**
   * The untracked files at `paths` (as `git status` lists them, relative to `top`;
   * directories included whole, ignored files left out) as a patch of new files, streamed
   * to `sink`: they are added to a temporary index (`GIT_INDEX_FILE`, never the
   * repository's) and diffed against the empty tree, binary-safe. Writes their blobs.
   */
  async untrackedPatch(
    top: string,
    paths: readonly string[],
    sink: StdoutSink,
  ): Promise<{ stopped: boolean }> {
    if (paths.length === 0) return { stopped: false };
    const tmp = await Deno.makeTempDir({ prefix: "runprov-untracked-" });
    try {
      const env = { GIT_INDEX_FILE: `${tmp}/index`, GIT_LITERAL_PATHSPECS: "1" };
      const list = `${tmp}/paths`;
      await Deno.writeFile(list, new TextEncoder().encode(paths.map((p) => `${p}\0`).join("")));
      await this.run(["add", `--pathspec-from-file=${list}`, "--pathspec-file-nul"], {
        cwd: top,
        env,
        config: NO_HOOKS,
      });
      const res = await this.run([
        "diff-index",
        "--cached",
        "-p",
        "--binary",
        "--full-index",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--submodule=short",
        await this.emptyTree(),
        "--",
      ], { cwd: top, env, onStdout: sink });
      return { stopped: !!res.stopped };
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  }
}

/** One entry of a tree or index: mode (`100644`, `160000`...), object id and path. */
export interface TreeEntry {
  mode: string;
  oid: string;
  path: string;
}

/** A ref that names a commit, from {@link Git.commitRefs}. */
export interface CommitRef {
  ref: string;
  commit: string;
  /** The commit's tree. */
  tree: string;
  parents: string[];
  message: string;
}

const COMMIT_REF_FORMAT =
  "%(refname)%00%(objecttype)%00%(objectname)%00%(tree)%00%(parent)%00%(contents)%00";

/** Parse {@link COMMIT_REF_FORMAT} output (refs that are not commits are left out). */
export function parseCommitRefs(out: string): CommitRef[] {
  const refs: CommitRef[] = [];
  for (const rec of out.split("\0\n")) {
    const f = rec.split("\0");
    if (f.length < 6 || f[1] !== "commit") continue;
    refs.push({
      ref: f[0],
      commit: f[2],
      tree: f[3],
      parents: f[4].split(" ").filter(Boolean),
      message: f[5],
    });
  }
  return refs;
}

/**
 * Parse `git apply --numstat -z`: `added TAB deleted TAB path NUL`, or for a rename
 * `added TAB deleted TAB NUL from NUL to NUL`.
 *
 * @example
 * parseNumstatZ("1\t1\ta.txt\0-\t-\t\0old\0new\0"); // ["a.txt", "old", "new"]
 */
export function parseNumstatZ(out: string): string[] {
  const parts = out.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const m = /^(?:\d+|-)\t(?:\d+|-)\t(.*)$/s.exec(parts[i]);
    if (!m) continue;
    if (m[1] !== "") paths.push(m[1]);
    else {
      paths.push(parts[i + 1], parts[i + 2]);
      i += 2;
    }
  }
  return [...new Set(paths)];
}

/** Parse `git ls-tree -z` records: `mode SP type SP oid TAB path NUL`. */
export function parseLsTreeZ(out: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const rec of out.split("\0")) {
    const m = /^(\d+) \w+ ([0-9a-f]+)\t(.*)$/s.exec(rec);
    if (m) entries.push({ mode: m[1], oid: m[2], path: m[3] });
  }
  return entries;
}

/** Split `items` into runs of at most `count` items and about `bytes` characters. */
function chunks(items: readonly string[], count: number, bytes: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const it of items) {
    if (cur.length > 0 && (cur.length >= count || size + it.length > bytes)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(it);
    size += it.length + 1;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decode git output that carries paths, refusing bytes that are not UTF-8: such a path
 * could not be passed back to git unchanged (argv and Deno strings are UTF-8).
 */
function strictText(bytes: Uint8Array, what: string): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new GitError(
      [what],
      0,
      "",
      "git-failed",
      `${what} printed a path that is not UTF-8; runprov cannot pass such a path back to git`,
    );
  }
}

/** One tag from {@link Git.listTags}. */
export interface TagRef {
  /** The full ref (`refs/tags/run/x`, `refs/runprov/tags/run/x`). */
  ref: string;
  /** Tag name without `refs/tags/` or `refs/runprov/tags/` (`run/x`). */
  name: string;
  /** `tag` (annotated) or `commit` (lightweight). */
  type: string;
  /** The tag object (annotated) or the commit (lightweight). */
  object: string;
  /** The commit the tag points at (peeled once). */
  commit: string;
  /** Tagger date (annotated) or commit date, ISO 8601 as git prints it. */
  date: string;
  /** The tag message (empty for lightweight tags). */
  message: string;
}

const TAG_FORMAT =
  "%(refname)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)%00%(contents)%00";

/** Parse {@link TAG_FORMAT} output: six NUL-terminated fields per tag, then a newline. */
export function parseTagRefs(out: string): TagRef[] {
  const tags: TagRef[] = [];
  for (const rec of out.split("\0\n")) {
    if (!rec) continue;
    const f = rec.split("\0");
    if (f.length < 6) continue;
    const [refname, type, object, peeled, date, contents] = f;
    tags.push({
      ref: refname,
      name: refname.replace(/^refs\/(?:runprov\/)?tags\//, ""),
      type,
      object,
      commit: type === "tag" ? peeled : object,
      date,
      message: type === "tag" ? contents : "",
    });
  }
  return tags;
}

/** What happened to one pushed ref. */
export interface PushResult {
  ok: boolean;
  /** `new`, `up-to-date`, `updated`, `rejected`, `remote-rejected` or `failed`. */
  status: "new" | "up-to-date" | "updated" | "rejected" | "remote-rejected" | "failed";
  /** git's reason in its own words (`pre-receive hook declined`, `fatal: ...`), or null. */
  reason: string | null;
  /** git's stderr, credentials removed. */
  stderr: string;
}

/** Parse `git push --porcelain` output for `ref` (lines `flag\tfrom:to\tsummary (reason)`). */
export function parsePushPorcelain(
  stdout: string,
  stderr: string,
  code: number,
  ref: string,
): PushResult {
  for (const line of stdout.split("\n")) {
    const m = /^(.)\t([^\t]*)\t(.*)$/.exec(line);
    if (!m || !m[2].endsWith(`:${ref}`)) continue;
    return pushLineResult(m[1], m[3], stderr);
  }
  return pushFailure(stderr, code);
}

/**
 * Parse `git push --porcelain` output for many refs at once: one result per destination
 * ref in `refs` (a ref without a line failed with the push as a whole, or, after exit 0,
 * was already there).
 *
 * @example
 * parsePushResults("*\tabc:refs/x/a\t[new reference]\n", "", 0, ["refs/x/a"]).get("refs/x/a")?.status; // "new"
 */
export function parsePushResults(
  stdout: string,
  stderr: string,
  code: number,
  refs: readonly string[],
): Map<string, PushResult> {
  const lines = new Map<string, [string, string]>();
  for (const line of stdout.split("\n")) {
    const m = /^(.)\t([^\t]*)\t(.*)$/.exec(line);
    if (!m) continue;
    const colon = m[2].lastIndexOf(":");
    lines.set(colon < 0 ? m[2] : m[2].slice(colon + 1), [m[1], m[3]]);
  }
  const out = new Map<string, PushResult>();
  for (const ref of refs) {
    const l = lines.get(ref);
    out.set(ref, l ? pushLineResult(l[0], l[1], stderr) : pushFailure(stderr, code));
  }
  return out;
}

/** The result of one porcelain line (`flag`, then the summary after the refs). */
function pushLineResult(flag: string, summary: string, stderr: string): PushResult {
  const why = /\(([^)]*)\)\s*$/.exec(summary)?.[1] ?? null;
  if (flag === "*") return { ok: true, status: "new", reason: null, stderr };
  if (flag === "=") return { ok: true, status: "up-to-date", reason: null, stderr };
  if (flag === " " || flag === "+") return { ok: true, status: "updated", reason: null, stderr };
  const remote = summary.startsWith("[remote rejected]") ||
    summary.startsWith("[remote failure]");
  return {
    ok: false,
    status: remote ? "remote-rejected" : "rejected",
    reason: why ?? summary,
    stderr,
  };
}

/** The result for a ref git printed no line for: up to date after exit 0, else failed. */
function pushFailure(stderr: string, code: number): PushResult {
  if (code === 0) return { ok: true, status: "up-to-date", reason: null, stderr };
  return { ok: false, status: "failed", reason: remoteFailureReason(stderr, code), stderr };
}

/**
 * git's own reason for a failed remote operation, from its stderr: the first `fatal:` or
 * `error:` line, else the first line.
 */
export function remoteFailureReason(stderr: string, code: number): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? `git exited ${code}`;
}

/**
 * What the remote itself said (`remote:` lines of git's stderr: a hook's message, a host's
 * refusal), joined on one line; empty when it said nothing.
 */
export function remoteSaid(stderr: string): string {
  return stderr.split("\n")
    .filter((l) => l.startsWith("remote:"))
    .map((l) => l.slice("remote:".length).trim())
    .filter(Boolean)
    .join(" ");
}

/** What a remote gave back: its output, or why it could not be asked. */
export type RemoteAnswer =
  | { ok: true; out: string }
  | {
    ok: false;
    /** git's own reason (`fatal: ...`), credentials removed. */
    reason: string;
    /** What the remote itself said (`remote:` lines), credentials removed. */
    remote: string;
    /** git's exit code (1: some refs refused, 128: fatal). */
    code: number;
    stderr: string;
  };

function remoteError(res: GitResult, secrets: readonly string[]): RemoteAnswer {
  const stderr = redactText(res.stderr, secrets);
  return {
    ok: false,
    reason: remoteFailureReason(stderr, res.code),
    remote: remoteSaid(stderr),
    code: res.code,
    stderr,
  };
}

/** One object read by {@link Git.catFileBatch}. */
export interface BatchObject {
  oid: string;
  type: string;
  bytes: Uint8Array;
}

/**
 * Parse `git cat-file --batch` output: per request `<oid> <type> <size>\n<bytes>\n`, or
 * `<name> missing\n` (also `ambiguous`). Throws when the output is cut short.
 *
 * @example
 * parseCatFileBatch(enc("abc blob 2\nhi\nx missing\n"), 2); // [{oid:"abc",type:"blob",bytes:"hi"}, null]
 */
export function parseCatFileBatch(out: Uint8Array, count: number): (BatchObject | null)[] {
  const answers: (BatchObject | null)[] = [];
  let off = 0;
  while (answers.length < count) {
    const nl = out.indexOf(0x0a, off);
    if (nl < 0) throw new Error("git cat-file --batch: output ends early");
    const header = decoder.decode(out.subarray(off, nl));
    off = nl + 1;
    const m = /^([0-9a-f]+) (\S+) (\d+)$/.exec(header);
    if (!m) {
      answers.push(null); // "<name> missing" / "<name> ambiguous"
      continue;
    }
    const size = Number(m[3]);
    if (off + size > out.length) throw new Error("git cat-file --batch: object cut short");
    answers.push({ oid: m[1], type: m[2], bytes: out.slice(off, off + size) });
    off += size + 1;
  }
  return answers;
}

/** git's "the tag is already there" answers to a create-only `git tag` (or a held lock). */
export function tagExistsError(stderr: string): boolean {
  // Not "cannot lock ref 'refs/tags/run/x': 'refs/tags/run' exists" (a name clash): that fails.
  return /already exists|Unable to create '[^']*\.lock': File exists/.test(stderr);
}

/** git could not make a tag because no committer identity is configured. */
export function isIdentityError(stderr: string): boolean {
  return /Please tell me who you are|unable to auto-detect email address|empty ident name/
    .test(stderr);
}

/** Decode git's stdout. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Turn git's (LC_ALL=C) stderr into a stable failure reason. */
export function classify(stderr: string): GitFailure {
  if (/detected dubious ownership/.test(stderr)) return "dubious-ownership";
  if (/not a git repository/.test(stderr)) return "not-a-repository";
  if (/must be run in a work tree/.test(stderr)) return "not-a-work-tree";
  if (
    /\bbad config (?:line \d+ in|variable '[^'\n]*' in)\b|\bbad (?:numeric |boolean )?config value\b/
      .test(stderr)
  ) {
    return "bad-config";
  }
  if (
    /index file (?:corrupt|smaller than expected|open failed)|unable to map index file|bad index version|bad signature 0x/
      .test(stderr)
  ) {
    return "bad-index";
  }
  if (/bad object HEAD|bad revision 'HEAD'|unknown revision or path.*HEAD/.test(stderr)) {
    return "corrupt-head";
  }
  return "git-failed";
}

/**
 * Config given to one git process through `GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n` (command-line
 * scope, like `-c`, but any subsection name is safe: `-c` splits at the first '=').
 */
export function configEnv(pairs: readonly [string, string][]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/** Parse `git config -z --get-regexp` output: records `key\nvalue\0`. */
export function parseConfigZ(out: string): RepoConfig {
  const cfg: RepoConfig = { remotes: new Map(), branches: new Map(), filters: new Map() };
  for (const rec of out.split("\0")) {
    if (!rec) continue;
    const nl = rec.indexOf("\n");
    const key = nl < 0 ? rec : rec.slice(0, nl);
    const value = nl < 0 ? "" : rec.slice(nl + 1);
    // Section names are case-insensitive, subsection (the remote/branch name) is not,
    // and the last dot separates the variable name.
    const first = key.indexOf(".");
    const last = key.lastIndexOf(".");
    if (first < 0 || last === first) continue;
    const section = key.slice(0, first).toLowerCase();
    const name = key.slice(first + 1, last);
    const variable = key.slice(last + 1).toLowerCase();
    if (section === "remote") {
      const r = cfg.remotes.get(name) ?? {};
      // The first url wins, as for fetch; later ones are extra push URLs.
      if (variable === "url" && r.url === undefined) r.url = value;
      if (variable === "pushurl" && r.pushurl === undefined) r.pushurl = value;
      cfg.remotes.set(name, r);
    } else if (section === "branch") {
      const b = cfg.branches.get(name) ?? {};
      if (variable === "remote") b.remote = value;
      if (variable === "merge") b.merge = value;
      cfg.branches.set(name, b);
    } else if (section === "filter") {
      const f = cfg.filters.get(name) ?? {};
      // The last value wins, as git reads it.
      if (variable === "clean" || variable === "smudge" || variable === "process") {
        f[variable] = value;
      }
      cfg.filters.set(name, f);
    }
  }
  return cfg;
}
