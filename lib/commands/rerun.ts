/**
 * `runprov rerun ID [-- EXTRA ARGS...]`: restore a run's exact code into a fresh worktree
 * and run its recorded command there again, as a new recorded run (`rerun_of: ID`).
 */
import { dirname, isAbsolute, join, relative, resolve } from "../util/paths.ts";
import { parseCommandArgs, str } from "../cli/args.ts";
import { Exit, RunprovError, shown, shownPath, usageError } from "../errors.ts";
import { printable } from "../util/printable.ts";
import { checkRunId, newRunId, runIdProblem } from "../run/run_id.ts";
import { gitFor } from "../run/git_for.ts";
import { findRunRecord, requireRepo } from "../run/lookup.ts";
import { tagSettingsFor } from "../tag/tag_run.ts";
import { captureGit } from "../run/capture.ts";
import { defaultRestoreDir, materialise } from "../snapshot/restore.ts";
import { runRecorded } from "../run/recorded.ts";
import { recordPath } from "../run/store.ts";
import { ensureVacant } from "../run/persist.ts";
import { inheritedRun, staleNote } from "../run/nested.ts";
import { SignalRelay } from "../run/supervise.ts";
import { parseTrackers, TRACKERS } from "../exports/trackers.ts";
import { Git } from "../git/client.ts";
import { SNAPSHOT_HELP } from "./restore.ts";
import type { RunRecord } from "../run/record.ts";
import { codeOfRunHereOrShared } from "./remote_run.ts";
import type { Context } from "../io.ts";

export const RERUN_HELP = `runprov rerun: run a run's recorded command again, on its exact code

Usage: runprov rerun ID [--in DIR] [--run-id NEW] [--name NAME] [--tracker T]...
                     [--policy MODE | --strict] [--allow-dirty REASON] [-- EXTRA ARGS...]

1. restores run ID's snapshot into a fresh worktree (as 'runprov restore ID DIR'):
   <repository>-rerun-NEW next to the repository, or --in DIR (new or empty; or a
   clean worktree already at the snapshot, e.g. an earlier rerun's, which is reused);
2. runs the recorded argv (plus EXTRA ARGS) in the recorded working directory, relative
   to the repository top, exactly as 'runprov exec' does: policy, a new record (never
   replacing one), RUNPROV_* variables, each signal delivered once, the command's exit
   code; inside a live run (RUNPROV_RUN_ID) the new run is a child run ("parent");
3. the new run's record goes next to run ID's record, with "rerun_of": "ID"; its
   git.sha is the snapshot commit it ran (clean), so 'runprov diff ID NEW' exits 0 when
   the code is the same and 'runprov verify NEW' accepts both forms of ID's code.
Runs recorded by 'env' or 'stamp' have no command and are refused.

${SNAPSHOT_HELP}

Options:
  --in DIR              restore into DIR instead of a new directory next to the repository
  --run-id NEW          the new run's id; default: random
  --name NAME           a human name for the new run (default: ID's name)
  --tracker T           also set tracker T's variables (${TRACKERS.join(", ")}; repeatable)
  --policy MODE         strict | warn | off, as for exec (the restored tree is clean)
  --strict              short for --policy strict
  --allow-dirty REASON  as for exec

Exit: the command's own exit code (126/127 if it cannot start, 128+N if killed by
signal N); before it starts: 2 usage, no such run, no recorded command or no snapshot
possible, 4 its commit is not in this repository, 5 its snapshot ref holds another commit.
`;

const RERUN_OPTIONS = {
  in: { type: "string" as const },
  "run-id": { type: "string" as const },
  name: { type: "string" as const },
  tracker: { type: "string" as const, multiple: true },
  policy: { type: "string" as const },
  strict: { type: "boolean" as const },
  "allow-dirty": { type: "string" as const },
};

/** Run `rerun`. */
export async function rerun(ctx: Context, args: string[]): Promise<number> {
  const dd = args.indexOf("--");
  const own = dd >= 0 ? args.slice(0, dd) : args;
  const extra = dd >= 0 ? args.slice(dd + 1) : [];
  const { values, positionals } = parseCommandArgs("rerun", own, RERUN_OPTIONS, true);
  if (values.help) {
    await ctx.io.stdout(RERUN_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw usageError("rerun: give one run id", "usage: runprov rerun ID [-- EXTRA ARGS...]");
  }
  const id = positionals[0];
  const problem = runIdProblem(id);
  if (problem) throw usageError(`invalid run id ${shown(id)}: ${problem}`);
  const newId = checkRunId(str(values["run-id"]) ?? newRunId());
  parseTrackers(Array.isArray(values.tracker) ? values.tracker.map(String) : []);

  const git = await gitFor(ctx);
  const info = await requireRepo(git, "runprov rerun");
  const settings = await tagSettingsFor(ctx, info.root);
  const stored = await findRunRecord(info, settings, id);
  if (!stored) {
    throw usageError(
      `rerun: no record of run ${id}: rerun needs the command the record holds`,
      `restore its code with runprov restore ${id}, and run it by hand there`,
    );
  }
  const r = stored.record;
  if (!r.command || !Array.isArray(r.command.argv) || r.command.argv.length === 0) {
    throw usageError(
      `rerun: run ${id} has no recorded command (it was recorded by 'runprov env' or ` +
        "'runprov stamp', which do not see the command)",
      `restore its code with runprov restore ${id}, and run the command there by hand ` +
        "(runprov exec records the command for next time)",
    );
  }
  if (newId === id) throw usageError(`rerun: the new run needs its own id, not ${id}`);
  // The new record goes next to run ID's: refuse a taken id before restoring anything.
  const out = recordPath(dirname(stored.path), newId);
  await ensureVacant(out, newId, undefined);
  const code = await codeOfRunHereOrShared(ctx, git, info, settings, id);
  for (const w of code.warnings) ctx.warn(`warning: ${w}`);

  const target = str(values.in);
  const dir = target === undefined
    ? defaultRestoreDir(info, newId, "rerun")
    : isAbsolute(target)
    ? target
    : resolve(ctx.global.dir, target);
  if (!(await reusable(ctx, git, dir, code.commit))) await materialise(git, info, code.commit, dir);
  const cwd = await commandDir(ctx, r, dir);
  const argv = [...r.command.argv, ...extra];
  ctx.warn(
    `rerun of ${id} as run ${newId} in ${shownPath(cwd)} (snapshot ${code.commit.slice(0, 12)}): ${
      printable(JSON.stringify(argv))
    }`,
  );
  const values2 = { ...values, "run-id": newId, name: str(values.name) ?? r.name ?? undefined };
  // The listeners come before the run is recorded, as for exec (the restore above stays
  // interruptible).
  const relay = new SignalRelay({ terminal: Deno.stdin.isTerminal(), env: ctx.io.env });
  try {
    // A rerun inside a live run is a child run of it; a stale one is not joined.
    const inherited = await inheritedRun(ctx.io.env);
    if (inherited.state === "stale") ctx.warn(staleNote(inherited));
    const parent = inherited.state === "live" ? inherited.record.run_id : null;
    if (parent) ctx.warn(`note: inside run ${parent}; recording a child run of it`);
    return await runRecorded(
      { ...ctx, io: { ...ctx.io, cwd: dir }, global: { ...ctx.global, dir } },
      { command: argv, cwd, values: values2, out, parent, rerunOf: id },
      relay,
    );
  } finally {
    await relay.close();
  }
}

/**
 * Whether `dir` is an existing checkout of `commit` to reuse (`--in` an earlier rerun's
 * worktree): at that commit with a clean tree. A non-empty `dir` that is not is refused.
 */
async function reusable(ctx: Context, git: Git, dir: string, commit: string): Promise<boolean> {
  const entries = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
  if (entries.length === 0) return false;
  const here = new Git({ cwd: dir, env: ctx.io.env, timeoutMs: git.timeoutMs });
  const head = await here.headAt(dir);
  if (head !== commit) {
    throw usageError(
      `${shownPath(dir)} exists and is not a checkout of the run's snapshot ${commit.slice(0, 12)}`,
      "give a new or empty directory with --in, or leave --in out",
    );
  }
  const facts = await captureGit(here);
  if (!facts.available || facts.dirty) {
    throw new RunprovError(
      `${
        shownPath(dir)
      } is at the run's snapshot but has uncommitted changes; a rerun there would not ` +
        "run the run's code",
      Exit.usage,
      "give a new directory with --in, or clean that one (git -C DIR checkout -- .)",
    );
  }
  return true;
}

/** The recorded working directory, relative to the repository top, inside `dir`. */
async function commandDir(ctx: Context, r: RunRecord, dir: string): Promise<string> {
  const root = r.git.root;
  const cwd = r.command!.cwd;
  let rel = root && cwd ? relative(root, cwd) : "";
  if (rel.startsWith("..") || isAbsolute(rel)) {
    ctx.warn(
      `note: run ${r.run_id} ran in ${shownPath(cwd)}, outside its repository ${
        shownPath(root ?? "")
      }; running at the top`,
    );
    rel = "";
  }
  const path = rel ? join(dir, rel) : dir;
  if (!(await Deno.stat(path).then((i) => i.isDirectory, () => false))) {
    ctx.warn(
      `note: ${
        shownPath(rel)
      } is not in the run's code (an untracked directory); creating it empty`,
    );
    await Deno.mkdir(path, { recursive: true });
  }
  return path;
}
