/**
 * Runs that are only on the remote, for `show`, `restore`, `rerun` and `diff`: such a run is
 * fetched first, that run alone, from the share remote, then handled as a local run.
 */
import type { Git } from "../git/client.ts";
import type { RepoInfo } from "../git/parse.ts";
import { Exit, RunprovError, usageError } from "../errors.ts";
import type { StoredRecord } from "../run/store.ts";
import type { TagSettings } from "../tag/names.ts";
import { codeOfRun, type RunCode } from "../snapshot/source.ts";
import { findRecord, recordDirFor } from "../run/lookup.ts";
import { configFor } from "../config/for_command.ts";
import { resolveTagSettings } from "../tag/names.ts";
import { openTarget } from "../share/share.ts";
import { fetchRuns } from "../share/fetch_runs.ts";
import type { Context } from "../io.ts";

/**
 * Fetch run `id` alone from the share remote (`--remote`, config `share.remote`, the tag
 * remote, `origin`), for a command that found it nowhere here, and return its record; null when the remote has no such
 * run or no such remote is configured. A remote that cannot be asked is an error naming it.
 */
export async function fetchRemoteOnlyRun(
  ctx: Context,
  git: Git,
  info: RepoInfo,
  id: string,
  remoteFlag: string | undefined,
): Promise<StoredRecord | null> {
  const loaded = await configFor(ctx, info.root);
  let target;
  try {
    target = await openTarget(git, info, loaded.config, remoteFlag);
  } catch (err) {
    if (remoteFlag === undefined && err instanceof RunprovError) return null; // no remote
    throw err;
  }
  let outcomes;
  try {
    outcomes = await fetchRuns(target, [id]);
  } catch (err) {
    if (!(err instanceof RunprovError)) throw err;
    throw usageError(
      `no run ${id} here, and asking ${target.remote} for it failed: ${err.message}`,
      err.hint,
    );
  }
  const o = outcomes.find((x) => x.id === id);
  if (!o || o.error?.exitCode === Exit.usage) return null;
  if (o.error) throw o.error;
  for (const n of o.notes) ctx.warn(n);
  ctx.warn(`fetched run ${id} from ${target.remote}`);
  return await findRecord(recordDirFor(info.root, resolveTagSettings(loaded.config)), id);
}

/**
 * The code of run `id` (see `codeOfRun`); a run that is nowhere here (no record, snapshot
 * ref or tag) is fetched from the share remote first, when the remote has it.
 */
export async function codeOfRunHereOrShared(
  ctx: Context,
  git: Git,
  info: RepoInfo,
  settings: TagSettings,
  id: string,
): Promise<RunCode> {
  try {
    return await codeOfRun(git, info, settings, id);
  } catch (err) {
    const nowhere = err instanceof RunprovError && err.exitCode === Exit.usage &&
      err.message.startsWith("no run ");
    if (!nowhere || !(await fetchRemoteOnlyRun(ctx, git, info, id, undefined))) throw err;
    return await codeOfRun(git, info, settings, id);
  }
}
