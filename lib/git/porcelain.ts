/**
 * Parser for `git status --porcelain=v2 --branch -z` (git-status(1), "Porcelain Format
 * Version 2"). Pure: takes git's bytes decoded as text, returns typed facts.
 */

/** Submodule state from the `sub` field: `N...` or `S<C><M><U>`. */
export interface SubmoduleFlags {
  /** The submodule's checked-out commit differs from the recorded one. */
  commitChanged: boolean;
  /** The submodule has tracked changes. */
  modified: boolean;
  /** The submodule has untracked files. */
  untracked: boolean;
}

/** One changed path (`1`, `2` or `u` lines). */
export interface StatusEntry {
  /** Line kind: ordinary change, rename/copy, or unmerged. */
  type: "changed" | "renamed" | "unmerged";
  /** Two-letter XY code, `.` meaning unchanged (e.g. `.M`, `A.`, `R.`). */
  xy: string;
  /** Path relative to the repository top. */
  path: string;
  /** Original path of a rename or copy. */
  origPath?: string;
  /** Set when the path is a submodule. */
  submodule?: SubmoduleFlags;
  /** File modes in HEAD, index and worktree (octal strings). */
  modes: { head: string; index: string; worktree: string };
}

/** Everything one status scan says about the working tree. */
export interface StatusReport {
  /** HEAD commit, or null when HEAD is unborn (`(initial)`). */
  oid: string | null;
  /** Branch name, or null when detached (or git says `(unknown)`). */
  head: string | null;
  /** True when git printed `(detached)`. */
  detached: boolean;
  /** Upstream as `<remote>/<branch>`, or null. */
  upstream: string | null;
  /** Commits ahead of / behind the upstream; null when the upstream ref is missing. */
  ahead: number | null;
  behind: number | null;
  /** Number of stash entries (needs `--show-stash`). */
  stash: number;
  entries: StatusEntry[];
  untracked: string[];
  ignored: string[];
}

function parseSub(field: string): SubmoduleFlags | undefined {
  if (!field.startsWith("S")) return undefined;
  return {
    commitChanged: field[1] === "C",
    modified: field[2] === "M",
    untracked: field[3] === "U",
  };
}

/**
 * The fields `1`, `2` and `u` lines share: XY, the submodule field and the HEAD, index and
 * worktree modes (the worktree mode is field `worktreeAt`: `u` lines carry three stage modes).
 */
function entryFields(
  parts: readonly string[],
  worktreeAt: number,
): Pick<StatusEntry, "xy" | "submodule" | "modes"> {
  return {
    xy: parts[1],
    submodule: parseSub(parts[2]),
    modes: { head: parts[3], index: parts[4], worktree: parts[worktreeAt] },
  };
}

/**
 * Parse NUL-separated porcelain v2 output. Unknown `#` headers are ignored, as git asks.
 * Throws on a line that is not porcelain v2, so a changed git is noticed, not guessed at.
 *
 * @example
 * parsePorcelainV2("# branch.oid abc\0# branch.head main\0? new.txt\0").untracked; // ["new.txt"]
 */
export function parsePorcelainV2(text: string): StatusReport {
  const report: StatusReport = {
    oid: null,
    head: null,
    detached: false,
    upstream: null,
    ahead: null,
    behind: null,
    stash: 0,
    entries: [],
    untracked: [],
    ignored: [],
  };
  const fields = text.split("\0");
  if (fields.at(-1) === "") fields.pop();
  for (let i = 0; i < fields.length; i++) {
    const line = fields[i];
    const kind = line[0];
    if (kind === "#") {
      parseHeader(line, report);
    } else if (kind === "1") {
      // 1 XY sub mH mI mW hH hI path
      const parts = splitN(line, 9);
      report.entries.push({ type: "changed", ...entryFields(parts, 5), path: parts[8] });
    } else if (kind === "2") {
      // 2 XY sub mH mI mW hH hI Xscore path \0 origPath
      const parts = splitN(line, 10);
      const origPath = fields[++i];
      if (origPath === undefined) throw new Error("porcelain v2: rename without its original path");
      report.entries.push({ type: "renamed", ...entryFields(parts, 5), path: parts[9], origPath });
    } else if (kind === "u") {
      // u XY sub m1 m2 m3 mW h1 h2 h3 path
      const parts = splitN(line, 11);
      report.entries.push({ type: "unmerged", ...entryFields(parts, 6), path: parts[10] });
    } else if (kind === "?") {
      report.untracked.push(line.slice(2));
    } else if (kind === "!") {
      report.ignored.push(line.slice(2));
    } else {
      throw new Error(`porcelain v2: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  return report;
}

function parseHeader(line: string, report: StatusReport): void {
  const sp = line.indexOf(" ", 2);
  const key = sp < 0 ? line.slice(2) : line.slice(2, sp);
  const value = sp < 0 ? "" : line.slice(sp + 1);
  switch (key) {
    case "branch.oid":
      report.oid = value === "(initial)" ? null : value;
      break;
    case "branch.head":
      report.detached = value === "(detached)";
      report.head = value === "(detached)" || value === "(unknown)" ? null : value;
      break;
    case "branch.upstream":
      report.upstream = value;
      break;
    case "branch.ab": {
      const m = /^\+(\d+) -(\d+)$/.exec(value);
      if (m) {
        report.ahead = Number(m[1]);
        report.behind = Number(m[2]);
      }
      break;
    }
    case "stash":
      report.stash = Number(value) || 0;
      break;
  }
}

/** Split on the first `n - 1` spaces; the last field keeps its spaces (paths may have them). */
function splitN(line: string, n: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (let k = 0; k < n - 1; k++) {
    const sp = line.indexOf(" ", start);
    if (sp < 0) throw new Error(`porcelain v2: short line ${JSON.stringify(line.slice(0, 80))}`);
    out.push(line.slice(start, sp));
    start = sp + 1;
  }
  out.push(line.slice(start));
  return out;
}

/** What kind of change an entry is, in words a user reads in a policy message. */
export type ChangeKind =
  | "modified"
  | "staged"
  | "added"
  | "deleted"
  | "renamed"
  | "copied"
  | "mode"
  | "typechange"
  | "submodule"
  | "unmerged";

/** Classify an entry for messages and the record's `changed[]`. */
export function changeKind(e: StatusEntry): ChangeKind {
  if (e.type === "unmerged") return "unmerged";
  if (e.submodule) return "submodule";
  const [x, y] = e.xy;
  if (e.type === "renamed") return x === "C" ? "copied" : "renamed";
  if (x === "D" || y === "D") return "deleted";
  if (x === "A") return "added";
  if (x === "T" || y === "T") return "typechange";
  const modeOnly = e.modes.head !== e.modes.worktree || e.modes.head !== e.modes.index;
  if (modeOnly && (x === "M" || y === "M") && isModeChangeOnly(e)) return "mode";
  if (y === "M") return "modified";
  return "staged";
}

function isModeChangeOnly(e: StatusEntry): boolean {
  // Only a heuristic label: a mode change with identical content still reports M.
  return e.modes.head !== "000000" && e.modes.worktree !== "000000" &&
    (e.modes.head !== e.modes.index || e.modes.index !== e.modes.worktree);
}
