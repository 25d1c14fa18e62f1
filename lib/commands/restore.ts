/** `runprov restore ID [DIR]`: the exact code of a run, in a new worktree (or its commit id). */
import { isAbsolute, resolve } from "../util/paths.ts";
import { parseCommandArgs } from "../cli/args.ts";
import { shown, usageError } from "../errors.ts";
import { gitFor } from "../run/git_for.ts";
import { requireRepo } from "../run/lookup.ts";
import { runIdProblem } from "../run/run_id.ts";
import { tagSettingsFor } from "../tag/tag_run.ts";
import { defaultRestoreDir, materialise } from "../snapshot/restore.ts";
import { codeOfRunHereOrShared } from "./remote_run.ts";
import type { Context } from "../io.ts";

/** What every snapshot command's help says about snapshots and their exit codes. */
export const SNAPSHOT_HELP =
  `A run's snapshot is a git commit whose tree is exactly the code the run used: its
recorded commit plus its patch (untracked files only when they counted), with the
recorded commit as parent, kept at refs/runprov/snapshots/ID (for a clean run: the
recorded commit itself). It is built the first time a command needs it, from the record
and its patch, without touching your index, working tree, HEAD or branches. A run that
is not here but shared on the remote (config share.remote, else tag.remote, else origin)
is fetched first, that run alone, as 'runprov fetch ID' does.`;

export const RESTORE_HELP = `runprov restore: get back the exact code of a run

Usage: runprov restore ID [DIR]
       runprov restore --print ID

Materialises run ID's snapshot in DIR: a new linked worktree (git worktree add --detach)
at the snapshot commit, with submodules checked out at the commits the run used (cloned
from this repository's own module repositories: no network). DIR must be new or empty;
default: <repository>-run-ID next to the repository. DIR is printed on stdout.
Afterwards 'runprov -C DIR verify ID' exits 0. The current checkout is never changed.

${SNAPSHOT_HELP}

Options:
  --print   print the snapshot's commit id only (building it if needed); no worktree

Exit: 0 done; 2 usage, no such run, or a run that cannot have a snapshot (its patch was
cut at patch.max_bytes or not stored, or it was recorded without git); 4 the run's
commit is not in this repository (fetch it; in a shallow clone: git fetch --unshallow)
or git failed; 5 refs/runprov/snapshots/ID holds another commit (never moved).
`;

/** Run `restore`. */
export async function restore(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("restore", args, {
    print: { type: "boolean" },
  }, true);
  if (values.help) {
    await ctx.io.stdout(RESTORE_HELP);
    return 0;
  }
  const max = values.print ? 1 : 2;
  if (positionals.length < 1 || positionals.length > max) {
    throw usageError(
      values.print ? "restore --print: give one run id" : "restore: give a run id and DIR",
      "usage: runprov restore ID [DIR], or runprov restore --print ID",
    );
  }
  const [id, target] = positionals;
  const problem = runIdProblem(id);
  if (problem) throw usageError(`invalid run id ${shown(id)}: ${problem}`);
  const git = await gitFor(ctx);
  const info = await requireRepo(git, "runprov restore");
  const settings = await tagSettingsFor(ctx, info.root);
  const code = await codeOfRunHereOrShared(ctx, git, info, settings, id);
  for (const w of code.warnings) ctx.warn(`warning: ${w}`);
  if (values.print) {
    await ctx.io.stdout(`${code.commit}\n`);
    return 0;
  }
  const dir = target === undefined
    ? defaultRestoreDir(info, id)
    : isAbsolute(target)
    ? target
    : resolve(ctx.global.dir, target);
  await materialise(git, info, code.commit, dir);
  ctx.warn(`restored run ${id} (snapshot ${code.commit.slice(0, 12)}) into ${dir}`);
  await ctx.io.stdout(`${dir}\n`);
  return 0;
}
