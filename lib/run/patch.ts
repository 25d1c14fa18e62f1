/**
 * Patches of dirty runs: the diff of the working tree against the run's commit, streamed
 * from git into a temp file next to `<record dir>/<run-id>.patch` and cut at a size limit as
 * it goes, so at most the limit (what the file keeps, for its hash) is ever held in memory.
 * The temp file is put in place together with the run's record (lib/run/session.ts).
 */
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
}

/** The patch path that goes with a record path: `x/<id>.json` -> `x/<id>.patch`. */
export function patchPathFor(recordFile: string): string {
  return recordFile.replace(/\.json$/, "") + ".patch";
}

/**
 * Write the diff of the working tree against `sha` to `path` (temp file, fsync, rename),
 * at most `maxBytes` bytes. Resolves with what the record stores.
 */
export async function capturePatch(
  git: Git,
  sha: string,
  path: string,
  maxBytes: number,
): Promise<PatchFact> {
  const { patch, temp } = await stagePatch(git, sha, path, maxBytes);
  try {
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
  return patch;
}

/**
 * Write the diff of the working tree against `sha`, at most `maxBytes` bytes, to a synced
 * temp file next to `path` and leave it there: the caller moves it to `path` (or removes
 * it) once the run is stored (or refused). `patch` is what the record stores.
 */
export async function stagePatch(
  git: Git,
  sha: string,
  path: string,
  maxBytes: number,
): Promise<{ patch: PatchFact; temp: string }> {
  // The kept bytes (at most maxBytes) are hashed at the end with Web Crypto: node:crypto
  // would start Deno's Node compatibility layer, tens of ms of every dirty run.
  const kept: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  const temp = await writeTemp(path, async (write) => {
    await git.diffPatch(sha, async (chunk) => {
      let part = chunk;
      if (bytes + part.length > maxBytes) {
        part = part.subarray(0, maxBytes - bytes);
        truncated = true;
      }
      kept.push(part.slice());
      await write(part);
      bytes += part.length;
      return !truncated;
    });
  });
  return { patch: { path, sha256: await sha256Of(kept, bytes), bytes, truncated }, temp };
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
