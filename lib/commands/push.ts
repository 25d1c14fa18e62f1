/** `runprov push [ID|FILE...] [--all]`: share runs through the git remote. */
import { parseCommandArgs, str } from "../cli/args.ts";
import { renderError, usageError } from "../errors.ts";
import { configFor } from "../config/for_command.ts";
import { gitFor } from "../run/git_for.ts";
import { findRecord, requireRepo } from "../run/lookup.ts";
import { readRecordFile, type StoredRecord } from "../run/store.ts";
import { hereFacts, readRecordDir, shownStatus } from "../run/history.ts";
import { runIdProblem } from "../run/run_id.ts";
import { isAbsolute, resolve } from "../util/paths.ts";
import { noSuchRun, openTarget, pushRuns } from "../share/share.ts";
import { outcomesJson, report } from "../share/report.ts";
import { RUNS_PREFIX } from "../share/refs.ts";
import type { Context } from "../io.ts";

export const PUSH_HELP = `runprov push: share runs through the git remote

Usage: runprov push ID|FILE... [--remote R] [--json]
       runprov push --all [--remote R] [--json]

Pushes each run to the remote as refs/runprov/runs/<id>: one commit holding the run's
record and patch (byte for byte) whose parent is the run's snapshot, so the exact code
travels with it (and the recorded commit, if the remote lacks it). These refs are never
branches or tags: a plain clone, git fetch and git describe do not see them. Teammates get
the runs with 'runprov fetch', 'runprov runs --remote R' lists them.

Pushing a run again is a no-op; a run the remote already holds with other content (the
same id used twice, or a record changed after it was pushed) is a conflict: exit 5, and
nothing is overwritten on either side (runprov never force-pushes). A run still running
is refused: 'runprov exec --push' pushes it when it ends.

Options:
  --remote R   a configured remote's name (default: config share.remote, then tag.remote,
               then origin); never a URL
  --all        every run in the record directory not pushed yet
  --json       print what happened to each run as JSON

Exit: 0 pushed (or already there), 2 usage (unknown run or remote), 5 conflict, or the
remote could not be reached or refused (its reason is shown; the local run stays as it is).
`;

/** Run `push`. */
export async function push(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("push", args, {
    remote: { type: "string" },
    all: { type: "boolean" },
    json: { type: "boolean" },
  }, true);
  if (values.help) {
    await ctx.io.stdout(PUSH_HELP);
    return 0;
  }
  if (values.all && positionals.length > 0) {
    throw usageError("push: give run ids or --all, not both");
  }
  if (!values.all && positionals.length === 0) {
    throw usageError("push: which runs?", "give run ids (see runprov runs), or --all");
  }
  const git = await gitFor(ctx);
  const info = await requireRepo(git, "runprov push");
  const loaded = await configFor(ctx, info.root);
  const target = await openTarget(git, info, loaded.config, str(values.remote));
  const stored: StoredRecord[] = [];
  if (values.all) {
    const { records } = await readRecordDir(target.recordDir);
    const pushed = new Set(
      [...(await git.refsUnder([RUNS_PREFIX])).keys()].map((ref) => ref.slice(RUNS_PREFIX.length)),
    );
    const here = await hereFacts(records.map((r) => r.record));
    for (const r of records) {
      if (pushed.has(r.record.run_id)) continue;
      if (shownStatus(r.record, here) === "running") {
        ctx.warn(`note: skipping run ${r.record.run_id}: it is still running`);
        continue;
      }
      stored.push(r);
    }
    if (stored.length === 0) {
      ctx.warn(`nothing to push: every run in ${target.recordDir} is pushed already`);
      if (values.json) await ctx.io.stdout("[]\n");
      return 0;
    }
  } else {
    for (const arg of positionals) {
      const s = await findRun(ctx, target.recordDir, arg);
      const status = shownStatus(s.record, await hereFacts([s.record]));
      if (status === "running") {
        throw usageError(
          `run ${s.record.run_id} is still running; its record will change when it ends`,
          "push it when it ends (runprov exec --push does that by itself)",
        );
      }
      if (status === "running?") {
        ctx.warn(
          `warning: run ${s.record.run_id} is recorded as running (on another host); if it ` +
            "still is, its final record will differ and pushing that later will conflict",
        );
      }
      stored.push(s);
    }
  }
  const outcomes = await pushRuns(target, stored);
  const r = report(outcomes, "push", target.remote);
  for (const note of r.notes) ctx.warn(note);
  for (const e of r.errors) ctx.io.stderr(renderError(e).text);
  if (values.json) await ctx.io.stdout(outcomesJson(outcomes));
  return r.code;
}

/** The stored record a push argument names: a run id in the record directory, or a file. */
async function findRun(ctx: Context, dir: string, arg: string): Promise<StoredRecord> {
  if (runIdProblem(arg) === null) {
    const s = await findRecord(dir, arg);
    if (s) return s;
  }
  const path = isAbsolute(arg) ? arg : resolve(ctx.io.cwd, arg);
  const s = arg.includes("/") || arg.endsWith(".json") ? await readRecordFile(path) : null;
  if (!s) throw noSuchRun(arg, dir);
  return s;
}
