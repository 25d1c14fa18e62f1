/**
 * A command run as a recorded run, the path `exec` and `rerun` share: check the policy,
 * record the run as running (a new record, never replacing one), run the command with the
 * exports under the caller's signal relay, record how it ended, tag and push it when asked,
 * and hand back the command's exit code.
 */
import { str } from "../cli/args.ts";
import type { ParsedArgs } from "../cli/args.ts";
import { gitFor } from "./git_for.ts";
import { planRun } from "./session.ts";
import { discardRun, storeNewRun, updateOwnRecord } from "./persist.ts";
import { envVars, parseTrackers } from "../exports/trackers.ts";
import { cometRepo } from "../exports/repo_here.ts";
import { checkVars } from "../shell/common.ts";
import type { EnvVar } from "../exports/variables.ts";
import { probeProcess } from "./liveness.ts";
import { type ChildOutcome, type SignalRelay, supervise } from "./supervise.ts";
import type { RunRecord } from "./record.ts";
import { renderError } from "../errors.ts";
import { checkSignable, resolveTagSettings } from "../tag/names.ts";
import type { Context } from "../io.ts";
import { defaultConfig, type LoadedConfig } from "../config/config.ts";

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
  /** The id of the live run this one was started inside (a child run), or null. */
  parent: string | null;
  /** The run this one reruns (`rerun_of`). */
  rerunOf?: string;
}

/**
 * Run `run.command` as a recorded run in `ctx`'s repository; resolves with its exit code.
 * `relay`'s signal listeners must be in place before this call (so no signal can end
 * runprov between the `running` record and the child); it is closed once the final record
 * is written, before any tagging.
 */
export async function runRecorded(
  ctx: Context,
  run: RecordedRun,
  relay: SignalRelay,
): Promise<number> {
  const { values, push, command } = run;
  let final: RunRecord;
  let outcome: ChildOutcome;
  let config: LoadedConfig | undefined;
  let path: string | null = null;
  let stored = false;
  try {
    const trackers = parseTrackers(
      Array.isArray(values.tracker) ? values.tracker.map(String) : [],
    );
    // This process's start identity, read while git runs: tells it from a later pid holder.
    const self = probeProcess(Deno.pid);
    const started = ctx.io.now();
    const planned = await planRun(ctx, values, run.out, {
      from: run.from,
      parent: run.parent,
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
        supervisor_start: null,
      },
    });
    const { record } = planned;
    path = planned.path;
    config = planned.config;
    record.command!.supervisor_start = (await self).start;
    if (run.rerunOf !== undefined) record.rerun_of = run.rerunOf;
    let vars: EnvVar[];
    try {
      // A tag that cannot be made is refused before the run, not after it.
      if (values.tag) {
        const settings = resolveTagSettings(config?.config);
        checkSignable(settings, values.sign === true || settings.sign);
      }
      // The child gets exactly what `eval $(runprov env)` would set, refused the same way.
      const comet = await cometRepo(record, trackers);
      vars = envVars(record, path, trackers, comet.top);
      checkVars(vars);
      if (comet.note) ctx.warn(comet.note);
      await storeNewRun(planned, run.out);
    } finally {
      await discardRun(planned);
    }
    const env = { ...ctx.io.env, ...Object.fromEntries(vars) };
    // While the command runs: read the sources (direct_url.json) of every distribution for
    // the final record, which the start of the run did not wait for.
    const environment = record.environment?.packages
      ? import("../environment/capture.ts").then((m) => m.completeEnvironment(record.environment))
      : Promise.resolve(record.environment);
    environment.catch(() => {});
    outcome = await supervise(command, { env, cwd: run.cwd }, relay);
    const ended = ctx.io.now();
    const signal = outcome.signal ?? null;
    final = {
      ...record,
      environment: await environment.catch(() => record.environment),
      status: outcome.code === 0 && outcome.started ? "succeeded" : "failed",
      command: {
        ...record.command!,
        ended_at: ended.toISOString(),
        duration_ms: ended.getTime() - started.getTime(),
        exit_code: signal ? null : outcome.code,
        signal,
        ...(outcome.started ? {} : { error: outcome.error }),
      },
    };
    if (!outcome.started) ctx.io.stderr(`runprov: ${outcome.error}\n`);
    if (path !== null) {
      try {
        await updateOwnRecord(path, record, final);
        stored = true;
      } catch (err) {
        // The child's outcome is what the caller (a scheduler) needs; report and go on.
        ctx.io.stderr(`runprov: ${(err as Error).message}\n`);
      }
    }
  } finally {
    // The record is final: a signal from now on (during --tag, --push) ends runprov.
    await relay.close();
  }
  if (values.tag && final.status === "succeeded") {
    // A failed tag or push is reported but never hides the child's exit code.
    try {
      // Tagging (and its hashing) loads only when a run is tagged.
      const { subjectFromRecord, tagOutcome, tagRun } = await import("../tag/tag_run.ts");
      const settings = resolveTagSettings(config?.config);
      const git = await gitFor(ctx);
      const subject = subjectFromRecord(final);
      if (final.git.dirty && path !== null && final.git.root) {
        // A dirty run's tag goes on its snapshot, as `runprov tag` puts it.
        const { snapshotOf, snapshotProblem } = await import("../snapshot/build.ts");
        if (snapshotProblem(final) === null) {
          const run = { path, record: final, sha256: "" };
          subject.target = (await snapshotOf(git, run, { top: final.git.root })).commit;
        }
      }
      const res = await tagRun(git, subject, settings, {
        now: ctx.io.now(),
        url: str(values.url) ?? null,
        push: push === undefined ? undefined : push === true ? settings.remote : push,
        sign: values.sign === true ? true : undefined,
        allowDirty: final.git.dirty ? final.policy.reason : null,
      });
      const tagged = tagOutcome(res, final.run_id, "this run");
      for (const note of tagged.notes) ctx.warn(note);
      if (tagged.error) ctx.io.stderr(renderError(tagged.error).text);
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
        await gitFor(ctx),
        config?.config ?? defaultConfig(),
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
