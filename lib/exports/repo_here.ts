/**
 * Whether the run's repository is on this machine, for `--tracker comet`: Comet opens the
 * repository at `COMET_GIT_DIRECTORY` itself, so runprov hands over only a directory that
 * holds one. One stat of `<root>/.git`; git is never run (`env --from` stays git-free).
 */
import { join } from "../util/paths.ts";
import type { RunRecord } from "../run/record.ts";
import { recordedRepoTop, type Tracker } from "./trackers.ts";
import { shown } from "../errors.ts";

/** Where Comet should look for the run's repository, and a note when it cannot. */
export interface CometRepo {
  /** The run's repository top when `<top>/.git` exists here, else null. */
  top: string | null;
  /** For stderr: the record names a repository that is not here (a container, `--from`). */
  note: string | null;
}

/**
 * The repository top for `COMET_GIT_DIRECTORY`. Without `comet` among `trackers` nothing is
 * looked at and the recorded top is returned unchanged (no other tracker uses it).
 */
export async function cometRepo(
  record: RunRecord,
  trackers: readonly Tracker[],
): Promise<CometRepo> {
  const top = recordedRepoTop(record);
  if (!trackers.includes("comet") || top === null) return { top, note: null };
  if (await exists(join(top, ".git"))) return { top, note: null };
  return {
    top: null,
    note: `note: --tracker comet: the run's repository ${shown(top)} is not here, so ` +
      "COMET_GIT_DIRECTORY is empty and Comet logs git metadata only for a repository it " +
      "finds from its working directory; the run's commit reaches it as the Other " +
      "runprov_git_sha",
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
