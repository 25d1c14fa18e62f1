/**
 * Patches of dirty runs: the diff of the working tree against the run's commit (and, when
 * untracked files count, those files as new files), streamed from git into
 * `<record dir>/<run-id>.patch` (atomically) and cut at a size limit as it goes, so at most
 * the limit (what the file keeps, for its hash) is ever held in memory.
 */
import type { Git } from "../git/client.ts";
import { writeAtomic } from "./store.ts";

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
  // The kept bytes (at most maxBytes) are hashed at the end with Web Crypto: node:crypto
  // would start Deno's Node compatibility layer, tens of ms of every dirty run.
  const kept: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  await writeAtomic(path, async (write) => {
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
      await git.untrackedPatch(untracked.top, untracked.paths, sink);
    }
  });
  const fact: PatchFact = { path, sha256: await sha256Of(kept, bytes), bytes, truncated };
  if (untracked && untracked.paths.length > 0) fact.untracked = true;
  return fact;
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
  await git.config(); // diff-index may run clean filters: keep the repository's programs off
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

/** sha256 (hex) of the concatenated chunks. */
export async function sha256Of(chunks: readonly Uint8Array[], total: number): Promise<string> {
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
