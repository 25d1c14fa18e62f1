/**
 * gitignore-like globs for config `ignore`: `*`, `?`, `[...]`, `**`, a trailing `/` for
 * directories, a leading `/` to anchor at the repository top. Pure.
 */

import { clipped } from "../errors.ts";

/** A compiled glob. */
interface Glob {
  re: RegExp;
  dirOnly: boolean;
  /** No '/' in the pattern: it matches the last name of a path, at any depth. */
  name: boolean;
}

function compile(pattern: string): Glob {
  let p = pattern;
  const dirOnly = p.endsWith("/");
  if (dirOnly) p = p.replace(/\/+$/, "");
  // A slash at the start or in the middle anchors the pattern at the top; without one it
  // matches a name at any depth (as in .gitignore).
  const anchored = p.includes("/");
  if (p.startsWith("/")) p = p.slice(1);
  let re = "^";
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === "*" && p[i + 1] === "*") {
      const atStart = i === 0 || p[i - 1] === "/";
      const atEnd = i + 2 === p.length;
      if (atStart && atEnd) {
        // `dir/**` (or `**`): everything below; also the directory entry itself.
        if (re.endsWith("/")) re = re.slice(0, -1) + "(?:/.*)?";
        else re += ".*";
        i += 2;
        continue;
      }
      if (atStart && p[i + 2] === "/") {
        re += "(?:.*/)?";
        i += 3;
        continue;
      }
      re += "[^/]*";
      i += 2;
      continue;
    }
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < p.length) {
      re += escape(p[i + 1]);
      i++;
    } else if (c === "[") {
      const end = p.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        i++;
        continue;
      }
      let body = p.slice(i + 1, end);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      re += `[${negated ? "^/" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else re += escape(c);
    i++;
  }
  return { re: new RegExp(re + "$", "s"), dirOnly, name: !anchored };
}

/**
 * Why `pattern` is not a glob runprov can match, in words, or null when it is one. A class
 * whose range runs backwards (`[z-a]`) is refused: it can never match, so it is a mistake.
 *
 * @example
 * globProblem("[z-a]"); // "the character class [z-a] has a range out of order"
 * globProblem("*.ckpt"); // null
 */
export function globProblem(pattern: string): string | null {
  try {
    compile(pattern);
    return null;
  } catch {
    for (const m of pattern.matchAll(/\[!?\]?[^\]]*\]/g)) {
      try {
        compile(m[0]);
      } catch {
        return `its character class ${clipped(m[0], 40)} has a range out of order`;
      }
    }
    return "it cannot be read as a glob";
  }
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Compile patterns into a predicate on repository-relative paths (as git prints them; a
 * trailing `/` marks a directory entry such as an untracked `wandb/`). A path matches when
 * it, or any directory above it, matches a pattern.
 *
 * @example
 * const m = globMatcher(["wandb/", "outputs/**", "*.ckpt"]);
 * m("wandb/"); m("outputs/a/b.bin"); m("x/model.ckpt"); // all true
 */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  const globs = patterns.map(compile);
  if (globs.length === 0) return () => false;
  const test = (p: string, isDir: boolean) => {
    const name = p.slice(p.lastIndexOf("/") + 1);
    return globs.some((g) => (isDir || !g.dirOnly) && g.re.test(g.name ? name : p));
  };
  // Whether a directory or one above it matches, remembered: the files of one directory
  // (an untracked checkpoint directory) share the answer.
  const dirs = new Map<string, boolean>();
  const dirMatches = (dir: string): boolean => {
    let hit = dirs.get(dir);
    if (hit === undefined) {
      const slash = dir.lastIndexOf("/");
      hit = (slash > 0 && dirMatches(dir.slice(0, slash))) || test(dir, true);
      if (dirs.size >= 10_000) dirs.clear();
      dirs.set(dir, hit);
    }
    return hit;
  };
  return (path: string) => {
    const isDir = path.endsWith("/");
    const p = isDir ? path.replace(/\/+$/, "") : path;
    const slash = p.lastIndexOf("/");
    return (slash > 0 && dirMatches(p.slice(0, slash))) || test(p, isDir);
  };
}
