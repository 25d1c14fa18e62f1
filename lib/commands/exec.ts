/**
 * `runprov exec -- CMD ARGS...`: the whole lifecycle of a run. Check the policy, record
 * the run as running, run CMD with the exports, record how it ended, exit with its code.
 */
import { parseCommandArgs, splitPush, str } from "../cli/args.ts";
import { gitFor, planRun, RUN_OPTIONS, storeRecord } from "../run/session.ts";
import { envVars, parseTrackers } from "../exports/trackers.ts";
import { checkVars } from "../shell/common.ts";
import { inheritedRun } from "../run/nested.ts";
import { supervise } from "../run/supervise.ts";
import type { RunRecord } from "../run/record.ts";
import { renderError, usageError } from "../errors.ts";
import { resolveTagSettings } from "../tag/names.ts";
import type { Context } from "../io.ts";

export const EXEC_HELP = `runprov exec: run a training command as a recorded run

Usage: runprov exec [--run-id ID] [--name NAME] [--policy MODE | --strict]
                    [--allow-dirty REASON] [--out FILE] [--tag [--push[=REMOTE]] [--url URL]
                    [--sign]] [--tracker T]... [--from FILE] -- CMD [ARGS...]

1. applies the clean-tree policy (refused: exit 3, CMD never starts);
2. writes the record with status "running" and the command;
3. runs CMD directly (no shell) with stdin/stdout/stderr inherited and the RUNPROV_*
   variables of 'runprov env' added to the environment;
4. forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to CMD and waits for it;
5. records ended_at, duration_ms, exit_code or signal, status succeeded/failed;
6. exits with CMD's code (128+N if killed by signal N; 127 not found; 126 not executable).

Inside a run started by 'runprov exec' (inherited RUNPROV_RUN_ID and RUNPROV_FILE of a
running record), exec reuses that run and leaves its record alone.

Options:
  --run-id ID           use this run id; default: random
  --name NAME           a human name for the run
  --policy MODE         strict | warn | off (default warn; env RUNPROV_POLICY)
  --strict              short for --policy strict
  --allow-dirty REASON  let a strict run use a dirty tree, recording why
  --out FILE            keep the record at FILE instead of .runprov/runs/<id>.json
  --tag                 when CMD succeeds, tag its commit run/ID exactly as 'runprov tag'
  --push[=REMOTE]       with --tag: push that tag (default remote: config tag.remote,
                        origin); '--push REMOTE' works when CMD follows '--'
  --url URL             with --tag: the run's page, written into the tag message
  --sign                with --tag: a signed tag
  --from FILE           take the git facts from this earlier record instead of asking git
                        (env RUNPROV_FROM), e.g. in a container built without .git
  --tracker T           also set tracker T's own variables (wandb, mlflow, clearml;
                        repeatable), as 'runprov env --tracker T' prints them

A failed tag or push is reported on stderr; exec still exits with CMD's code.
`;

const EXEC_OPTIONS = {
  ...RUN_OPTIONS,
  out: { type: "string" as const },
  tag: { type: "boolean" as const },
  url: { type: "string" as const },
  sign: { type: "boolean" as const },
  tracker: { type: "string" as const, multiple: true },
  from: { type: "string" as const },
};

/** Options of exec that take a value (to find where CMD starts without `--`). */
const VALUE_OPTIONS = new Set(
  Object.entries(EXEC_OPTIONS).filter(([, o]) => o.type === "string").map(([k]) => `--${k}`),
);

/**
 * Split exec's arguments into runprov's options and CMD: at `--`, or else at the first
 * word that is neither an option nor an option's value.
 *
 * @example
 * splitExecArgs(["--strict", "--", "python", "-u", "t.py"]); // { own: ["--strict"], command: ["python", "-u", "t.py"] }
 */
export function splitExecArgs(args: readonly string[]): { own: string[]; command: string[] } {
  const dd = args.indexOf("--");
  if (dd >= 0) return { own: args.slice(0, dd), command: args.slice(dd + 1) };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-") || a === "-") return { own: args.slice(0, i), command: args.slice(i) };
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return { own: [...args], command: [] };
}

/** Run `exec`. */
export async function exec(ctx: Context, args: string[]): Promise<number> {
  const { own, command } = splitExecArgs(args);
  const { rest, push } = splitPush(own, "exec");
  const { values } = parseCommandArgs("exec", rest, EXEC_OPTIONS);
  if ((push !== undefined || values.url !== undefined || values.sign) && !values.tag) {
    throw usageError("exec: --push, --url and --sign go with --tag", "add --tag");
  }
  if (values.help) {
    await ctx.io.stdout(EXEC_HELP);
    return 0;
  }
  if (command.length === 0) {
    throw usageError(
      "exec: no command given",
      "put the command after '--', e.g. runprov exec --strict -- python train.py --lr 3e-4",
    );
  }
  if (str(values.out) === "-") {
    throw usageError(
      "exec: --out - is not possible: exec records how the command ends",
      "drop --out, or give --out FILE",
    );
  }
  const terminal = Deno.stdin.isTerminal();

  const parent = await inheritedRun(ctx.io.env);
  if (parent) {
    if (str(values["run-id"]) !== undefined && str(values["run-id"]) !== parent.record.run_id) {
      throw usageError(
        `exec: --run-id ${str(values["run-id"])} inside run ${parent.record.run_id}`,
        "a command started by 'runprov exec' belongs to that run; drop --run-id",
      );
    }
    ctx.warn(`note: inside run ${parent.record.run_id}; reusing it (its record is left as is)`);
    const outcome = await supervise(command, { env: ctx.io.env, cwd: ctx.global.dir, terminal });
    if (!outcome.started) ctx.io.stderr(`runprov: ${outcome.error}\n`);
    return outcome.code;
  }

  const trackers = parseTrackers(
    Array.isArray(values.tracker) ? values.tracker.map(String) : [],
  );
  const started = ctx.io.now();
  // In an image without .git: the git facts of a record made at build time or on the host.
  const from = str(values.from) ?? (ctx.io.env.RUNPROV_FROM || undefined);
  const { record, path, config } = await planRun(ctx, values, str(values.out), {
    from,
    status: "running",
    command: {
      argv: command,
      cwd: ctx.global.dir,
      started_at: started.toISOString(),
      ended_at: null,
      exit_code: null,
      signal: null,
      duration_ms: null,
      supervisor_pid: Deno.pid,
    },
  });
  // The child gets exactly what `eval $(runprov env)` would set, refused the same way.
  const vars = envVars(record, path, trackers);
  checkVars(vars);
  if (path !== null) await storeRecord(path, record);
  const env = { ...ctx.io.env, ...Object.fromEntries(vars) };
  // While CMD runs: read the sources (direct_url.json) of every distribution for the final
  // record, which the start of the run did not wait for.
  const environment = record.environment?.packages
    ? import("../environment/capture.ts").then((m) => m.completeEnvironment(record.environment))
    : Promise.resolve(record.environment);
  environment.catch(() => {});
  const outcome = await supervise(command, { env, cwd: ctx.global.dir, terminal });
  const ended = ctx.io.now();
  const final: RunRecord = {
    ...record,
    environment: await environment.catch(() => record.environment),
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
  if (path) {
    try {
      await storeRecord(path, final);
    } catch (err) {
      // The child's outcome is what the caller (a scheduler) needs; report and go on.
      ctx.io.stderr(`runprov: ${(err as Error).message}\n`);
    }
  }
  if (values.tag && final.status === "succeeded") {
    // A failed tag or push is reported but never hides the child's exit code.
    try {
      // Tagging (and its hashing, node:crypto) loads only when a run is tagged.
      const { tagOutcome, tagRun } = await import("../tag/tag_run.ts");
      const settings = resolveTagSettings(config?.config);
      const res = await tagRun(gitFor(ctx), final, settings, {
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
  return outcome.code;
}
