/**
 * The remote side of the run commands: `runs --remote R` lists the runs a remote holds from
 * its refs alone (one `git ls-remote`, no objects); `show`, `restore`, `rerun` and `diff` of
 * a run that is only on the remote fetch just that run first.
 */
import type { Git, RepoInfo } from "../git/client.ts";
import { Exit, RunprovError, usageError } from "../errors.ts";
import type { StoredRecord } from "../run/history.ts";
import type { TagSettings } from "../tag/names.ts";
import { codeOfRun, type RunCode } from "../snapshot/source.ts";
import { findRecord, recordDirFor } from "../run/lookup.ts";
import { configFor, gitFor } from "../run/session.ts";
import { resolveTagSettings } from "../tag/names.ts";
import { checkRemoteName } from "../share/settings.ts";
import { openTarget, remoteRuns } from "../share/share.ts";
import { fetchRuns } from "../share/fetch_runs.ts";
import type { Context } from "../io.ts";

/**
 * `runs --remote R`: the remote's run ids and run commits, sorted by id, as a table or JSON;
 * exactly one git process (`git ls-remote R 'refs/runprov/runs/*'`).
 */
export async function listRemoteRuns(
  ctx: Context,
  remote: string,
  limit: number,
  json: boolean,
): Promise<number> {
  checkRemoteName(remote);
  const { runs, ignored } = await remoteRuns(gitFor(ctx), remote);
  const shown = runs.slice(0, limit);
  if (ignored > 0) {
    ctx.warn(`note: ${ignored} ref(s) under refs/runprov/runs/ on ${remote} are not run ids`);
  }
  if (json) {
    await ctx.io.stdout(JSON.stringify(shown, null, 2) + "\n");
    return 0;
  }
  if (runs.length === 0) {
    ctx.warn(
      `no runs on ${remote} (nothing under refs/runprov/runs/; share some with runprov push)`,
    );
    return 0;
  }
  const width = Math.max(2, ...shown.map((r) => r.id.length));
  const lines = [
    `${"ID".padEnd(width)}  COMMIT`,
    ...shown.map((r) => `${r.id.padEnd(width)}  ${r.commit.slice(0, 12)}`),
  ];
  await ctx.io.stdout(lines.join("\n") + "\n");
  ctx.warn(
    `${runs.length} run(s) on ${remote}, from its refs only; runprov show ID or ` +
      "runprov fetch [ID...] gets their records",
  );
  return 0;
}

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
