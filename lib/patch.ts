/**
 * Patches of dirty runs: the diff of the working tree against the run's commit, streamed
 * from git into `<record dir>/<run-id>.patch` (atomically) and cut at a size limit as it
 * goes, so at most the limit (what the file keeps, for its hash) is ever held in memory.
 */
import { dirname, join } from "./paths.ts";
import type { Git } from "./git.ts";

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
  const dir = dirname(path);
  const tmp = join(
    dir,
    `.${path.slice(dir.length + 1)}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
  );
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
  // The kept bytes (at most maxBytes) are hashed at the end with Web Crypto: node:crypto
  // would start Deno's Node compatibility layer, tens of ms of every dirty run.
  const kept: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  try {
    const sink = async (chunk: Uint8Array): Promise<boolean> => {
      let part = chunk;
      if (bytes + part.length > maxBytes) {
        part = part.subarray(0, maxBytes - bytes);
        truncated = true;
      }
      kept.push(part.slice());
      let off = 0;
      while (off < part.length) off += await file.write(part.subarray(off));
      bytes += part.length;
      return !truncated;
    };
    await git.diffPatch(sha, sink);
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  file.close();
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  return { path, sha256: await sha256Of(kept, bytes), bytes, truncated };
}

async function sha256Of(chunks: Uint8Array[], total: number): Promise<string> {
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
