/**
 * The typed git client: the {@link Git} class, one method per git process, each returning
 * parsed facts. Every call goes through {@link Git.run}, which hands the argv to a
 * {@link GitRunner} (runner.ts, the one place git is spawned); what git prints is read by
 * the parsers of parse.ts and porcelain.ts.
 */
import { parsePorcelainV2, type StatusReport } from "./porcelain.ts";
import { redactText } from "./redact_url.ts";
import {
  classify,
  configEnv,
  denoGitRunner,
  GIT_GLOBAL_ARGS,
  gitEnv,
  GitError,
  type GitResult,
  type GitRunner,
  type StdoutSink,
} from "./runner.ts";
import {
  type BatchObject,
  COMMIT_REF_FORMAT,
  type CommitRef,
  filterOverrides,
  LOCATE_ARGS,
  mayRunFilters,
  parseCatFileBatch,
  parseCommitRefs,
  parseConfigZ,
  parseLocation,
  parseLsTreeZ,
  parseNumstatZ,
  parsePushPorcelain,
  parsePushResults,
  parseTagRefs,
  type PushResult,
  remoteFailureReason,
  remoteSaid,
  type RepoConfig,
  type RepoInfo,
  strictText,
  TAG_FORMAT,
  tagExistsError,
  type TagRef,
  text,
  type TreeEntry,
} from "./parse.ts";

/**
 * Config that switches hooks off for one call: the repository's `post-index-change`,
 * `reference-transaction` and `post-checkout` hooks must not run (or change files) when
 * runprov writes a temporary index, a snapshot ref or a restored worktree.
 */
const NO_HOOKS: readonly [string, string][] = [["core.hooksPath", "/dev/null"]];

/**
 * How a stored patch is written (tracked and untracked alike): binary-safe, full object ids,
 * no colour, and none of the repository's external diff or textconv programs.
 */
const PATCH_ARGS = [
  "-p",
  "--binary",
  "--full-index",
  "--no-color",
  "--no-ext-diff",
  "--no-textconv",
] as const;

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
      ...PATCH_ARGS,
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
    return tagCreated(res, ["tag", name, commit]);
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
    return tagCreated(res, ["update-ref", ref, object]);
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
    const patterns = typeof tagPatterns === "string" ? [tagPatterns] : tagPatterns;
    const tags: TagRef[] = [];
    const refs = new Map<string, string>();
    for (const t of await this.listTags([...patterns, ...refPrefixes])) {
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
        ...PATCH_ARGS,
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

/**
 * What a create-only tag call (`git tag`, `git update-ref <ref> <new> ""`) answered: created,
 * already there (or locked by another process), or a {@link GitError} naming `args`.
 */
function tagCreated(res: GitResult, args: readonly string[]): "created" | "exists" {
  if (res.code === 0) return "created";
  if (tagExistsError(res.stderr)) return "exists";
  throw new GitError(
    [...GIT_GLOBAL_ARGS, ...args],
    res.code,
    redactText(res.stderr, []),
    classify(res.stderr),
  );
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
