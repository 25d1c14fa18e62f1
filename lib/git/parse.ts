/**
 * Pure parsers of git's machine formats (rev-parse, describe, for-each-ref, numstat, ls-tree,
 * push --porcelain, cat-file --batch, config -z), the format strings and argv they go with,
 * and their types. Nothing here starts a process or touches a file: client.ts runs git and
 * hands the output here (`git status --porcelain=v2` is read in porcelain.ts).
 */
import { GitError, type GitResult } from "./runner.ts";

const decoder = new TextDecoder();

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
export const LOCATE_ARGS = [
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

/**
 * A `git for-each-ref --format` printing `atoms` (`refname`, `objecttype`...), each ended by
 * a NUL; for-each-ref ends each record with a newline. Read back by {@link refRecords}.
 */
function refFormat(atoms: readonly string[]): string {
  return atoms.map((a) => `%(${a})%00`).join("");
}

/** The fields of each record of {@link refFormat} output that has at least `count` of them. */
function refRecords(out: string, count: number): string[][] {
  return out.split("\0\n").map((rec) => rec.split("\0")).filter((f) => f.length >= count);
}

const COMMIT_REF_ATOMS = ["refname", "objecttype", "objectname", "tree", "parent", "contents"];

/** The for-each-ref format {@link parseCommitRefs} reads. */
export const COMMIT_REF_FORMAT = refFormat(COMMIT_REF_ATOMS);

/** Parse {@link COMMIT_REF_FORMAT} output (refs that are not commits are left out). */
export function parseCommitRefs(out: string): CommitRef[] {
  const refs: CommitRef[] = [];
  for (
    const [ref, type, commit, tree, parents, message] of refRecords(out, COMMIT_REF_ATOMS.length)
  ) {
    if (type !== "commit") continue;
    refs.push({ ref, commit, tree, parents: parents.split(" ").filter(Boolean), message });
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

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decode git output that carries paths, refusing bytes that are not UTF-8: such a path
 * could not be passed back to git unchanged (argv and Deno strings are UTF-8).
 */
export function strictText(bytes: Uint8Array, what: string): string {
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

const TAG_ATOMS = [
  "refname",
  "objecttype",
  "objectname",
  "*objectname",
  "creatordate:iso-strict",
  "contents",
];

/** The for-each-ref format {@link parseTagRefs} reads. */
export const TAG_FORMAT = refFormat(TAG_ATOMS);

/** Parse {@link TAG_FORMAT} output: six NUL-terminated fields per tag, then a newline. */
export function parseTagRefs(out: string): TagRef[] {
  return refRecords(out, TAG_ATOMS.length).map((
    [refname, type, object, peeled, date, contents],
  ) => ({
    ref: refname,
    name: refname.replace(/^refs\/(?:runprov\/)?tags\//, ""),
    type,
    object,
    commit: type === "tag" ? peeled : object,
    date,
    message: type === "tag" ? contents : "",
  }));
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
