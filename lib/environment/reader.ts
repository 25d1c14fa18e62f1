/**
 * The file access of environment capture, as one small injectable interface: directory
 * listings, the head of a file, stat and symlink resolution. The real one uses Deno APIs
 * only (no process, no node: module); tests substitute fakes or point it at fake roots.
 */

/** A directory entry as the capture needs it. */
export interface Entry {
  name: string;
  isDirectory: boolean;
  isFile: boolean;
  isSymlink: boolean;
}

/** What environment capture reads. Every method throws as Deno's file APIs do. */
export interface Reader {
  /** The entries of a directory (any order). */
  readDir(path: string): Promise<Entry[]>;
  /** A file's text (UTF-8, invalid bytes replaced), at most its first `maxBytes` bytes. */
  readText(path: string, maxBytes?: number): Promise<string>;
  /** A file's first `maxBytes` bytes. */
  readHead(path: string, maxBytes: number): Promise<Uint8Array>;
  /** File facts following symlinks; null when the path does not exist (or dangles). */
  stat(
    path: string,
  ): Promise<{ isFile: boolean; isDirectory: boolean; mode: number | null } | null>;
  /** Does the path itself exist (a dangling symlink does)? */
  exists(path: string): Promise<boolean>;
  /** The path with every symlink resolved. */
  realPath(path: string): Promise<string>;
  /** The target of a symlink. */
  readLink(path: string): Promise<string>;
}

const decoder = new TextDecoder();

/**
 * The first `maxBytes` bytes of a file. Like every method of {@link denoReader} it reads
 * synchronously: a few small reads and one listing per site directory take less time than
 * handing each to Deno's thread pool and back, which on a loaded machine costs milliseconds
 * per call; the capture runs while git's processes do, so the event loop has nothing else to do.
 */
function readHeadSync(path: string, maxBytes: number): Uint8Array {
  const file = Deno.openSync(path, { read: true });
  try {
    const buf = new Uint8Array(maxBytes);
    let n = 0;
    while (n < maxBytes) {
      const got = file.readSync(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    file.close();
  }
}

/** The reader of the real file system. */
export const denoReader: Reader = {
  // deno-lint-ignore require-await
  async readDir(path) {
    return Array.from(Deno.readDirSync(path));
  },
  // deno-lint-ignore require-await
  async readText(path, maxBytes) {
    if (maxBytes === undefined) return Deno.readTextFileSync(path);
    return decoder.decode(readHeadSync(path, maxBytes));
  },
  // deno-lint-ignore require-await
  async readHead(path, maxBytes) {
    return readHeadSync(path, maxBytes);
  },
  // deno-lint-ignore require-await
  async stat(path) {
    try {
      const s = Deno.statSync(path);
      return { isFile: s.isFile, isDirectory: s.isDirectory, mode: s.mode };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  },
  // deno-lint-ignore require-await
  async exists(path) {
    try {
      Deno.lstatSync(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  },
  // deno-lint-ignore require-await
  async realPath(path) {
    return Deno.realPathSync(path);
  },
  // deno-lint-ignore require-await
  async readLink(path) {
    return Deno.readLinkSync(path);
  },
};

/** True for "no such file or directory" (also ENOTDIR: a file where a directory was expected). */
export function isMissing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory;
}

/** An error as a short reason: the OS message without Deno's call decoration. */
export function why(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  // Deno lets a program read /proc, /sys and /dev only when it runs with --allow-all.
  if (err instanceof Deno.errors.NotCapable) return "not permitted by runprov's Deno permissions";
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.NotADirectory) return "not a directory";
  const msg = err instanceof Error ? err.message : String(err);
  // "Permission denied (os error 13): readdir '/x'" -> "Permission denied (os error 13)"
  return msg.replace(/: (readdir|open|stat|lstat|realpath|readlink) '.*$/s, "");
}
