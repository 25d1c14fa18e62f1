/**
 * Patches of dirty runs: the diff of the working tree against the run's commit (and, when
 * untracked files count, those files as new files), streamed from git into a temp file next
 * to `<record dir>/<run-id>.patch` and cut at a size limit as it goes, so at most the limit
 * (what the file keeps, for its hash) is ever held in memory. The temp file is put in place
 * together with the run's record (lib/run/persist.ts).
 */
import { sha256OfChunks } from "../util/sha256.ts";
import type { Git } from "../git/client.ts";
import { writeTemp } from "./store.ts";

/** `git.patch` of a record. */
export interface PatchFact {
  /** Absolute path of the patch file. */
  path: string;
  /** sha256 (hex) of the stored bytes. */
  sha256: string;
  /** Size of the stored file in bytes. */
  bytes: number;
  /** The diff was longer than the limit and was cut there (the file will not apply). */
  truncated: boolean;
  /** The run's untracked files are in the patch too (they counted: `untracked: "dirty"`). */
  untracked?: boolean;
}

/** Untracked files to add to a patch: paths as `git status` lists them, relative to `top`. */
export interface UntrackedFiles {
  top: string;
  paths: readonly string[];
}

/** The patch path that goes with a record path: `x/<id>.json` -> `x/<id>.patch`. */
export function patchPathFor(recordFile: string): string {
  return recordFile.replace(/\.json$/, "") + ".patch";
}

/**
 * Write the diff of the working tree against `sha` to `path` (temp file, fsync, rename),
 * then, when given, the untracked files as new files, at most `maxBytes` bytes in all.
 * Resolves with what the record stores.
 */
export async function capturePatch(
  git: Git,
  sha: string,
  path: string,
  maxBytes: number,
  untracked: UntrackedFiles | null = null,
): Promise<PatchFact> {
  const { patch, temp } = await stagePatch(git, sha, path, maxBytes, untracked);
  try {
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
  return patch;
}

/**
 * Write the diff of the working tree against `sha`, then, when given, the untracked files as
 * new files, at most `maxBytes` bytes in all, to a synced temp file next to `path` and leave
 * it there: the caller moves it to `path` (or removes it) once the run is stored (or
 * refused). `patch` is what the record stores.
 */
export async function stagePatch(
  git: Git,
  sha: string,
  path: string,
  maxBytes: number,
  untracked: UntrackedFiles | null = null,
): Promise<{ patch: PatchFact; temp: string }> {
  // The kept bytes (at most maxBytes) are hashed at the end with Web Crypto: node:crypto
  // would start Deno's Node compatibility layer, tens of ms of every dirty run.
  const kept: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  const temp = await writeTemp(path, async (write) => {
    const sink = async (chunk: Uint8Array) => {
      let part = chunk;
      if (bytes + part.length > maxBytes) {
        part = part.subarray(0, maxBytes - bytes);
        truncated = true;
      }
      kept.push(part.slice());
      await write(part);
      bytes += part.length;
      return !truncated;
    };
    await git.diffPatch(sha, sink);
    if (untracked && untracked.paths.length > 0 && !truncated) {
      // Files larger in all than the room left would be cut anyway: never hash them into
      // the repository (an unignored data directory can be gigabytes).
      if (await sizeExceeds(untracked, maxBytes - bytes)) truncated = true;
      else await git.untrackedPatch(untracked.top, untracked.paths, sink);
    }
  });
  const patch: PatchFact = { path, sha256: await sha256OfChunks(kept, bytes), bytes, truncated };
  if (untracked && untracked.paths.length > 0) patch.untracked = true;
  return { patch, temp };
}

/**
 * The bytes {@link capturePatch} would store now, uncut: the tracked diff against `sha`,
 * then the untracked files when given (what `verify` hashes to compare with a run's patch).
 */
export async function currentPatch(
  git: Git,
  sha: string,
  untracked: UntrackedFiles | null = null,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const sink = (chunk: Uint8Array) => {
    chunks.push(chunk.slice());
    return true;
  };
  await git.diffPatch(sha, sink);
  if (untracked && untracked.paths.length > 0) {
    await git.untrackedPatch(untracked.top, untracked.paths, sink);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Whether the untracked files (directories walked, symlinks not followed) hold more than
 * `limit` bytes; stops as soon as they do. A directory `git status` collapsed may also hold
 * ignored files, which count here too: the answer errs towards "too big".
 */
export async function sizeExceeds(files: UntrackedFiles, limit: number): Promise<boolean> {
  let total = 0;
  const stack = files.paths.map((p) => `${files.top}/${p.replace(/\/$/, "")}`);
  while (stack.length > 0) {
    const path = stack.pop()!;
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch {
      continue; // gone meanwhile: git add will say so
    }
    if (info.isDirectory) {
      if (path.endsWith("/.git")) continue;
      for await (const e of Deno.readDir(path)) stack.push(`${path}/${e.name}`);
    } else {
      total += info.size;
      if (total > limit) return true;
    }
  }
  return false;
}
