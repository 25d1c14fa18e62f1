/**
 * A command run as a recorded run, the path `exec` and `rerun` share: check the policy,
 * record the run as running, run the command with the exports, record how it ended, tag it
 * when asked, and hand back the command's exit code.
 */
import { str } from "../cli/args.ts";
import type { ParsedArgs } from "../cli/args.ts";
import { gitFor, planRun, storeRecord } from "./session.ts";
import { envVars, parseTrackers } from "../exports/trackers.ts";
import { cometRepo } from "../exports/repo_here.ts";
import { checkVars } from "../shell/common.ts";
import { supervise } from "./supervise.ts";
import type { RunRecord } from "./record.ts";
import { renderError } from "../errors.ts";
import { resolveTagSettings } from "../tag/names.ts";
import type { Context } from "../io.ts";

/** What {@link runRecorded} runs, and how it records and tags it. */
export interface RecordedRun {
  /** The command and its arguments (run directly, no shell). */
  command: string[];
  /** The directory the command runs in (recorded as `command.cwd`). */
  cwd: string;
  /** Options: `run-id`, `name`, the policy's, `tracker`, `tag`, `url`, `sign`. */
  values: ParsedArgs["values"];
  /** Where the record goes (`--out FILE`); undefined: the record directory. */
  out?: string;
  /** Take the git facts from this earlier record (`--from FILE`). */
  from?: string;
  /**
   * `--push [REMOTE]`: push the run when it ends (and, with `--tag`, its tag first);
   * config `share.push` pushes the run without it.
   */
  push?: string | true;
  /** stdin is a terminal (SIGINT/SIGQUIT reach the child from it directly). */
  terminal: boolean;
  /** The run this one reruns (`rerun_of`). */
  rerunOf?: string;
}

/** Run `run.command` as a recorded run in `ctx`'s repository; resolves with its exit code. */
export async function runRecorded(ctx: Context, run: RecordedRun): Promise<number> {
  const { values, push, command } = run;
  const trackers = parseTrackers(
    Array.isArray(values.tracker) ? values.tracker.map(String) : [],
  );
  const started = ctx.io.now();
  const { record, path, config } = await planRun(ctx, values, run.out, {
    from: run.from,
    status: "running",
    command: {
      argv: command,
      cwd: run.cwd,
      started_at: started.toISOString(),
      ended_at: null,
      exit_code: null,
      signal: null,
      duration_ms: null,
      supervisor_pid: Deno.pid,
    },
  });
  if (run.rerunOf !== undefined) record.rerun_of = run.rerunOf;
  // The child gets exactly what `eval $(runprov env)` would set, refused the same way.
  const comet = await cometRepo(record, trackers);
  const vars = envVars(record, path, trackers, comet.top);
  checkVars(vars);
  if (comet.note) ctx.warn(comet.note);
  if (path !== null) await storeRecord(path, record);
  const env = { ...ctx.io.env, ...Object.fromEntries(vars) };
  const outcome = await supervise(command, { env, cwd: run.cwd, terminal: run.terminal });
  const ended = ctx.io.now();
  const final: RunRecord = {
    ...record,
    status: outcome.code === 0 && outcome.started ? "succeeded" : "failed",
    command: {
      ...record.command!,
      ended_at: ended.toISOString(),
      duration_ms: ended.getTime() - started.getTime(),
      exit_code: outcome.started && outcome.signal ? null : outcome.code,
      signal: outcome.started ? outcome.signal : null,
      ...(outcome.started ? {} : { error: outcome.error }),
    },
  };
  if (!outcome.started) ctx.io.stderr(`runprov: ${outcome.error}\n`);
  let stored = false;
  if (path) {
    try {
      await storeRecord(path, final);
      stored = true;
    } catch (err) {
      // The child's outcome is what the caller (a scheduler) needs; report and go on.
      ctx.io.stderr(`runprov: ${(err as Error).message}\n`);
    }
  }
  if (values.tag && final.status === "succeeded") {
    // A failed tag or push is reported but never hides the child's exit code.
    try {
      // Tagging (and its hashing, node:crypto) loads only when a run is tagged.
      const { subjectFromRecord, tagOutcome, tagRun } = await import("../tag/tag_run.ts");
      const settings = resolveTagSettings(config?.config);
      const git = gitFor(ctx);
      const subject = subjectFromRecord(final);
      if (final.git.dirty && path && final.git.root) {
        // A dirty run's tag goes on its snapshot, as `runprov tag` puts it.
        const { snapshotOf, snapshotProblem } = await import("../snapshot/build.ts");
        if (snapshotProblem(final) === null) {
          const stored = { path, record: final, sha256: "" };
          subject.target = (await snapshotOf(git, stored, { top: final.git.root })).commit;
        }
      }
      const res = await tagRun(git, subject, settings, {
        now: ctx.io.now(),
        url: str(values.url) ?? null,
        push: push === undefined ? undefined : push === true ? settings.remote : push,
        sign: values.sign === true ? true : undefined,
        allowDirty: final.git.dirty ? final.policy.reason : null,
      });
      const outcome = tagOutcome(res, final.run_id, "this run");
      for (const note of outcome.notes) ctx.warn(note);
      if (outcome.error) ctx.io.stderr(renderError(outcome.error).text);
    } catch (err) {
      ctx.io.stderr(renderError(err, ctx.io.env.RUNPROV_DEBUG === "1").text);
    }
  } else if (values.tag) {
    ctx.warn(`note: not tagging run ${final.run_id}: the command ${final.status}`);
  }
  if (path && (push !== undefined || config?.config.share.push)) {
    // After the tag: the run (record, patch, code) goes to the share remote, or to
    // --push=REMOTE, whatever the command's outcome. Reported, never the exit code; the
    // local record stays either way.
    if (!stored) {
      ctx.io.stderr(`runprov: not pushing run ${final.run_id}: its final record was not stored\n`);
    } else {
      const { pushStoredRun } = await import("../share/share.ts");
      const res = await pushStoredRun(
        gitFor(ctx),
        config?.config ?? {},
        path,
        typeof push === "string" ? push : undefined,
        run.out === undefined ? final.run_id : path,
      );
      for (const note of res.notes) ctx.warn(note);
      for (const e of res.errors) ctx.io.stderr(renderError(e).text);
    }
  }
  return outcome.code;
}
