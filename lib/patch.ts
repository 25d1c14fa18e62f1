/**
 * Patches of dirty runs: the diff of the working tree against the run's commit, streamed
 * from git into `<record dir>/<run-id>.patch` (atomically), hashed and cut at a size limit
 * as it goes, so a huge diff never sits in memory.
 */
import { createHash } from "node:crypto";
import { writeAtomic } from "./store.ts";
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
  const hash = createHash("sha256");
  let bytes = 0;
  let truncated = false;
  await writeAtomic(path, async (write) => {
    await git.diffPatch(sha, async (chunk) => {
      let part = chunk;
      if (bytes + part.length > maxBytes) {
        part = part.subarray(0, maxBytes - bytes);
        truncated = true;
      }
      hash.update(part);
      await write(part);
      bytes += part.length;
      return !truncated;
    });
  });
  return { path, sha256: hash.digest("hex"), bytes, truncated };
}
