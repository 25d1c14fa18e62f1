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

async function readHead(path: string, maxBytes: number): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(maxBytes);
    let n = 0;
    while (n < maxBytes) {
      const got = await file.read(buf.subarray(n));
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
  async readDir(path) {
    const out: Entry[] = [];
    for await (const e of Deno.readDir(path)) {
      out.push({
        name: e.name,
        isDirectory: e.isDirectory,
        isFile: e.isFile,
        isSymlink: e.isSymlink,
      });
    }
    return out;
  },
  async readText(path, maxBytes) {
    if (maxBytes === undefined) return await Deno.readTextFile(path);
    return decoder.decode(await readHead(path, maxBytes));
  },
  readHead,
  async stat(path) {
    try {
      const s = await Deno.stat(path);
      return { isFile: s.isFile, isDirectory: s.isDirectory, mode: s.mode };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  },
  async exists(path) {
    try {
      await Deno.lstat(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  },
  realPath: (path) => Deno.realPath(path),
  readLink: (path) => Deno.readLink(path),
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
