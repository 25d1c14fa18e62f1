/**
 * The code of a run by id, for `restore`, `diff` and `rerun`: its snapshot, from the run's
 * record (built when needed), else an existing snapshot ref, else its run tag (a tag on a
 * snapshot, or on a clean run's commit).
 */
import type { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import { Exit, RunprovError, shown, shownPath, usageError } from "../errors.ts";
import type { StoredRecord } from "../run/store.ts";
import { findRunRecord, recordDirFor } from "../run/lookup.ts";
import {
  parseTrailers,
  readNamespaces,
  shownTag,
  tagName,
  tagRef,
  type TagSettings,
} from "../tag/names.ts";
import { snapshotOf, snapshotRef } from "./build.ts";

/** Where a run's code was found. */
export interface RunCode {
  id: string;
  /** The snapshot commit: exactly the code the run used. */
  commit: string;
  /** The run's record, when there is one here. */
  stored: StoredRecord | null;
  /** `record` (snapshot built or found for it), `snapshot` (ref only) or `tag`. */
  from: "record" | "snapshot" | "tag";
  /** The snapshot ref was made by this call. */
  created: boolean;
  warnings: string[];
  /** The snapshot's tree, when already known (read with its ref). */
  tree?: string;
}

/**
 * The code of run `id`. Throws RunprovError: exit 2 when there is no such run or it cannot
 * have a snapshot, 4 when its commit is missing, 5 when its snapshot ref is taken.
 */
export async function codeOfRun(
  git: Git,
  info: RepoInfo,
  settings: TagSettings,
  id: string,
): Promise<RunCode> {
  const stored = await findRunRecord(info, settings, id);
  if (stored) {
    const s = await snapshotOf(git, stored, { top: info.root, shallow: info.shallow });
    return {
      id,
      commit: s.commit,
      stored,
      from: "record",
      created: s.created,
      warnings: s.warnings,
      tree: s.tree,
    };
  }
  const ref = await git.commitRef(snapshotRef(id));
  if (ref) {
    return {
      id,
      commit: ref.commit,
      stored: null,
      from: "snapshot",
      created: false,
      warnings: [],
      tree: ref.tree,
    };
  }
  const tag = await git.tagInfo(tagName(settings, id), readNamespaces(settings));
  if (tag) {
    const t = parseTrailers(tag.message);
    const name = shownTag(tag.ref);
    const onSnapshot = t.commit !== undefined && t.commit !== tag.commit;
    if (t.dirty === "true" && !onSnapshot) {
      throw new RunprovError(
        `run ${id} was dirty, and all that is here is its tag ${name} on ${tag.commit}: ` +
          "that commit lacks the run's uncommitted changes, and its patch is not here",
        Exit.usage,
        `copy the run's record and patch (${id}.json, ${id}.patch) into ` +
          `${shownPath(recordDirFor(info.root, settings))}, or fetch ${
            snapshotRef(id)
          } from where it was made`,
      );
    }
    const warnings = t.dirty === undefined
      ? [`tag ${name} does not say whether run ${id} was dirty; using its commit as is`]
      : [];
    return { id, commit: tag.commit, stored: null, from: "tag", created: false, warnings };
  }
  throw usageError(
    `no run ${shown(id)}: no record in ${shownPath(recordDirFor(info.root, settings))}, ` +
      `no ${snapshotRef(id)}, no tag ${shownTag(tagRef(settings, id))}`,
    "list runs with: runprov runs",
  );
}
