/**
 * The run list `runs` and `prune` work from: the records of the record directory merged
 * with the run tags of both tag namespaces, the snapshot refs and the shared runs' refs, in
 * one `for-each-ref` call.
 */
import type { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import { gitFor } from "./git_for.ts";
import { optionalRepo, recordDirFor } from "./lookup.ts";
import { hereFacts, mergeRuns, readRecordDir, type RunEntry } from "./history.ts";
import { tagSettingsFor } from "../tag/tag_run.ts";
import { readNamespaces, type TagSettings } from "../tag/names.ts";
import { SNAPSHOT_PREFIX } from "../snapshot/names.ts";
import { runRef, RUNS_PREFIX } from "../share/refs.ts";
import type { Context } from "../io.ts";

/** What {@link collectRuns} found. */
export interface RunListing {
  git: Git;
  /** The repository, or null outside one (then only records under -C are listed). */
  info: RepoInfo | null;
  settings: TagSettings;
  recordDir: string;
  /** Newest first. */
  entries: RunEntry[];
  /** Files in the record directory that are not run records. */
  skipped: string[];
}

/** Every run known here: records and run tags, merged (see {@link mergeRuns}). */
export async function collectRuns(ctx: Context, what: string): Promise<RunListing> {
  const git = await gitFor(ctx);
  const info = await optionalRepo(git, what);
  const settings = await tagSettingsFor(ctx, info?.root ?? null);
  const recordDir = recordDirFor(info?.root ?? ctx.global.dir, settings);
  // Both namespaces (tag.refs "tags" and "runprov"), so runs tagged before a switch still show.
  const glob = settings.prefix.endsWith("/") ? "" : "*";
  const patterns = readNamespaces(settings).map((ns) => `${ns}${settings.prefix}${glob}`);
  // Tags, snapshot refs and shared runs' refs come from one for-each-ref.
  const [{ tags, refs }, { records, skipped }] = await Promise.all([
    info
      ? git.listTagsAndRefs(patterns, [SNAPSHOT_PREFIX, RUNS_PREFIX])
      : Promise.resolve({ tags: [], refs: new Map<string, string>() }),
    readRecordDir(recordDir),
  ]);
  const entries = mergeRuns(
    records,
    tags,
    settings.prefix,
    await hereFacts(records.map((r) => r.record)),
    refs,
  );
  // Shared through the remote: `push` or `fetch` made its `refs/runprov/runs/<id>` here.
  for (const e of entries) if (refs.has(runRef(e.id))) e.shared = true;
  return { git, info, settings, recordDir, entries, skipped };
}
