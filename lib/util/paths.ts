/**
 * Path helpers for the start-up path of every command: `isAbsolute`, `resolve`, `join`,
 * `relative`, `dirname` with exactly node:path's POSIX results, without importing
 * `node:path` (the first `node:` import starts Deno's Node compatibility layer, tens of ms
 * of every run). On Windows they are node:path's own functions.
 */

type NodePath = typeof import("node:path");

// Windows paths (drive letters, UNC, both separators) are node:path's business.
const win: NodePath | null = Deno.build.os === "windows" ? await import("node:path") : null;

/** Like node:path `isAbsolute`: `isAbsolute("/a") === true`, `isAbsolute("a") === false`. */
export function isAbsolute(path: string): boolean {
  return win ? win.isAbsolute(path) : path.startsWith("/");
}

/**
 * Like node:path `resolve`: the absolute path of the segments, right to left, from the
 * current directory. Example: `resolve("/a/b", "../c") === "/a/c"`.
 */
export function resolve(...paths: string[]): string {
  if (win) return win.resolve(...paths);
  let resolved = "";
  let absolute = false;
  for (let i = paths.length - 1; i >= -1 && !absolute; i--) {
    const p = i >= 0 ? paths[i] : Deno.cwd();
    if (p.length === 0) continue;
    resolved = `${p}/${resolved}`;
    absolute = p[0] === "/";
  }
  resolved = normalizeString(resolved, !absolute);
  if (absolute) return `/${resolved}`;
  return resolved.length > 0 ? resolved : ".";
}

/** Like node:path `join`: `join("a", "../b", "c/") === "b/c/"`. */
export function join(...paths: string[]): string {
  if (win) return win.join(...paths);
  const joined = paths.filter((p) => p.length > 0).join("/");
  return joined.length === 0 ? "." : normalize(joined);
}

/** Like node:path `normalize`: `normalize("/a//b/./c/..") === "/a/b"`. */
export function normalize(path: string): string {
  if (win) return win.normalize(path);
  if (path.length === 0) return ".";
  const absolute = path[0] === "/";
  const trailing = path[path.length - 1] === "/";
  let out = normalizeString(path, !absolute);
  if (out.length === 0) return absolute ? "/" : trailing ? "./" : ".";
  if (trailing) out += "/";
  return absolute ? `/${out}` : out;
}

/** Like node:path `relative`: `relative("/a/b", "/a/c/d") === "../c/d"`. */
export function relative(from: string, to: string): string {
  if (win) return win.relative(from, to);
  if (from === to) return "";
  from = resolve(from);
  to = resolve(to);
  if (from === to) return "";
  const fromStart = 1;
  const fromEnd = from.length;
  const fromLen = fromEnd - fromStart;
  const toStart = 1;
  const toLen = to.length - toStart;
  const length = fromLen < toLen ? fromLen : toLen;
  let lastCommonSep = -1;
  let i = 0;
  for (; i < length; i++) {
    const c = from[fromStart + i];
    if (c !== to[toStart + i]) break;
    else if (c === "/") lastCommonSep = i;
  }
  if (i === length) {
    if (toLen > length) {
      if (to[toStart + i] === "/") return to.slice(toStart + i + 1);
      if (i === 0) return to.slice(toStart + i);
    } else if (fromLen > length) {
      if (from[fromStart + i] === "/") lastCommonSep = i;
      else if (i === 0) lastCommonSep = 0;
    }
  }
  let out = "";
  for (i = fromStart + lastCommonSep + 1; i <= fromEnd; ++i) {
    if (i === fromEnd || from[i] === "/") out += out.length === 0 ? ".." : "/..";
  }
  return `${out}${to.slice(toStart + lastCommonSep)}`;
}

/** Like node:path `dirname`: `dirname("/a/b/") === "/a"`, `dirname("a") === "."`. */
export function dirname(path: string): string {
  if (win) return win.dirname(path);
  if (path.length === 0) return ".";
  const hasRoot = path[0] === "/";
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; --i) {
    if (path[i] === "/") {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else matchedSlash = false;
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}

/** Resolve `.` and `..` and collapse slashes (node's normalizeString for POSIX). */
function normalizeString(path: string, allowAboveRoot: boolean): string {
  let res = "";
  let lastSegmentLength = 0;
  let lastSlash = -1;
  let dots = 0;
  let code = "";
  for (let i = 0; i <= path.length; ++i) {
    if (i < path.length) code = path[i];
    else if (code === "/") break;
    else code = "/";
    if (code === "/") {
      if (lastSlash === i - 1 || dots === 1) {
        // an empty or "." segment
      } else if (dots === 2) {
        if (res.length < 2 || lastSegmentLength !== 2 || !res.endsWith("..")) {
          if (res.length > 2) {
            const idx = res.lastIndexOf("/");
            if (idx === -1) {
              res = "";
              lastSegmentLength = 0;
            } else {
              res = res.slice(0, idx);
              lastSegmentLength = res.length - 1 - res.lastIndexOf("/");
            }
            lastSlash = i;
            dots = 0;
            continue;
          } else if (res.length !== 0) {
            res = "";
            lastSegmentLength = 0;
            lastSlash = i;
            dots = 0;
            continue;
          }
        }
        if (allowAboveRoot) {
          res += res.length > 0 ? "/.." : "..";
          lastSegmentLength = 2;
        }
      } else {
        if (res.length > 0) res += `/${path.slice(lastSlash + 1, i)}`;
        else res = path.slice(lastSlash + 1, i);
        lastSegmentLength = i - lastSlash - 1;
      }
      lastSlash = i;
      dots = 0;
    } else if (code === "." && dots !== -1) {
      ++dots;
    } else {
      dots = -1;
    }
  }
  return res;
}
