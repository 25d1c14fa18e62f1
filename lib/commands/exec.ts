/**
 * `runprov exec -- CMD ARGS...`: the whole lifecycle of a run. Check the policy, record
 * the run as running, run CMD with the exports, record how it ended, exit with its code.
 */
import { parseCommandArgs, splitPush, str } from "../cli/args.ts";
import { gitFor, planRun, RUN_OPTIONS } from "../run/session.ts";
import { discardRun, storeNewRun, updateOwnRecord } from "../run/persist.ts";
import { envVars, parseTrackers, TRACKERS } from "../exports/trackers.ts";
import { cometRepo } from "../exports/repo_here.ts";
import { checkVars } from "../shell/common.ts";
import type { EnvVar } from "../exports/variables.ts";
import { childRunOptions, inheritedRun, staleNote } from "../run/nested.ts";
import { probeProcess } from "../run/liveness.ts";
import { type ChildOutcome, SignalRelay, supervise } from "../run/supervise.ts";
import type { RunRecord } from "../run/record.ts";
import { renderError, usageError } from "../errors.ts";
import { checkSignable, resolveTagSettings } from "../tag/names.ts";
import type { Context } from "../io.ts";
import type { LoadedConfig } from "../config/config.ts";

export const EXEC_HELP = `runprov exec: run a training command as a recorded run

Usage: runprov exec [--run-id ID] [--name NAME] [--policy MODE | --strict]
                    [--allow-dirty REASON] [--out FILE] [--tag [--push[=REMOTE]] [--url URL]
                    [--sign]] [--tracker T]... [--from FILE] -- CMD [ARGS...]

1. applies the clean-tree policy (refused: exit 3, CMD never starts);
2. writes the record with status "running" and the command;
3. runs CMD directly (no shell) with stdin/stdout/stderr inherited and the RUNPROV_*
   variables of 'runprov env' added to the environment;
4. makes sure CMD gets each SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 once (a
   signal sent to runprov's whole process group already reached CMD; one sent to runprov
   alone is passed on) and waits for it; a stop signal before CMD starts means it never does;
5. records ended_at, duration_ms, exit_code or signal, status succeeded/failed;
6. exits with CMD's code (128+N if killed by signal N; 127 not found; 126 not executable).

CMD starts after '--', or else at the first word that is not an option of exec; every word
from there on is CMD's, byte for byte ('runprov exec python train.py -q' runs exactly that).
Global options (-q, -C, --config) go before 'exec'.

An id that already has a record is exit 2: runprov never replaces a record.
Inside a live run started by 'runprov exec' (inherited RUNPROV_RUN_ID and RUNPROV_FILE of
a running record whose supervisor is alive), exec reuses that run and leaves its record
alone; with --run-id ID, --strict or other capture options it records a child run whose
"parent" is that run.

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
  --tracker T           also set tracker T's own variables (${TRACKERS.join(", ")};
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

/** Options that make an exec inside a live run a child run of its own (else it reuses it). */
const CHILD_RUN_OPTIONS = [
  "run-id",
  "name",
  "policy",
  "strict",
  "allow-dirty",
  "out",
  "tag",
  "from",
] as const;

/** Options of exec that take a value (to find where CMD starts without `--`). */
const VALUE_OPTIONS = new Set(
  Object.entries(EXEC_OPTIONS).filter(([, o]) => o.type === "string").map(([k]) => `--${k}`),
);

/**
 * Split exec's arguments into runprov's options and CMD, reading left to right: CMD is
 * everything after the first `--`, or from the first word that is neither an option nor
 * an option's value. From there on every word is CMD's, byte for byte (`-q`, `--`, ...).
 *
 * @example
 * splitExecArgs(["--strict", "python", "t.py", "-q", "--", "x"]);
 * // { own: ["--strict"], command: ["python", "t.py", "-q", "--", "x"] }
 */
export function splitExecArgs(args: readonly string[]): { own: string[]; command: string[] } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return { own: args.slice(0, i), command: args.slice(i + 1) };
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
  // Listeners first: from here on no signal can end runprov between the `running` record
  // and the child, nor leave the child without its supervisor.
  const relay = new SignalRelay({ terminal: Deno.stdin.isTerminal(), env: ctx.io.env });
  let final: RunRecord;
  let outcome: ChildOutcome;
  let config: LoadedConfig | undefined;
  try {
    const trackers = parseTrackers(
      Array.isArray(values.tracker) ? values.tracker.map(String) : [],
    );
    // Inside a live run: reuse it unless options ask for a child run (lib/run/nested.ts).
    const inherited = await inheritedRun(ctx.io.env);
    if (inherited.state === "stale") ctx.warn(staleNote(inherited));
    const parent = inherited.state === "live" ? inherited : null;
    if (parent && childRunOptions(values, CHILD_RUN_OPTIONS, parent.record.run_id).length === 0) {
      ctx.warn(`note: inside run ${parent.record.run_id}; reusing it (its record is left as is)`);
      const comet = await cometRepo(parent.record, trackers);
      const vars = envVars(parent.record, parent.path, trackers, comet.top);
      checkVars(vars);
      if (comet.note) ctx.warn(comet.note);
      const env = { ...ctx.io.env, ...Object.fromEntries(vars) };
      const inner = await supervise(command, { env, cwd: ctx.global.dir }, relay);
      if (!inner.started) ctx.io.stderr(`runprov: ${inner.error}\n`);
      return inner.code;
    }
    if (parent) ctx.warn(`note: inside run ${parent.record.run_id}; recording a child run of it`);

    // This process's start identity, read while git runs: tells it from a later pid holder.
    const self = probeProcess(Deno.pid);
    const started = ctx.io.now();
    // In an image without .git: the git facts of a record made at build time or on the host.
    const from = str(values.from) ?? (ctx.io.env.RUNPROV_FROM || undefined);
    const planned = await planRun(ctx, values, str(values.out), {
      from,
      parent: parent?.record.run_id ?? null,
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
        supervisor_start: null,
      },
    });
    const { record, path } = planned;
    config = planned.config;
    record.command!.supervisor_start = (await self).start;
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
      await storeNewRun(planned, str(values.out));
    } finally {
      await discardRun(planned);
    }
    const env = { ...ctx.io.env, ...Object.fromEntries(vars) };
    // While CMD runs: read the sources (direct_url.json) of every distribution for the final
    // record, which the start of the run did not wait for.
    const environment = record.environment?.packages
      ? import("../environment/capture.ts").then((m) => m.completeEnvironment(record.environment))
      : Promise.resolve(record.environment);
    environment.catch(() => {});
    outcome = await supervise(command, { env, cwd: ctx.global.dir }, relay);
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
    if (path) {
      try {
        await updateOwnRecord(path, record, final);
      } catch (err) {
        // The child's outcome is what the caller (a scheduler) needs; report and go on.
        ctx.io.stderr(`runprov: ${(err as Error).message}\n`);
      }
    }
  } finally {
    // The record is final: a signal from now on (during --tag --push) ends runprov.
    await relay.close();
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
      const tagged = tagOutcome(res, final.run_id, "this run");
      for (const note of tagged.notes) ctx.warn(note);
      if (tagged.error) ctx.io.stderr(renderError(tagged.error).text);
    } catch (err) {
      ctx.io.stderr(renderError(err, ctx.io.env.RUNPROV_DEBUG === "1").text);
    }
  } else if (values.tag) {
    ctx.warn(`note: not tagging run ${final.run_id}: the command ${final.status}`);
  }
  return outcome.code;
}
