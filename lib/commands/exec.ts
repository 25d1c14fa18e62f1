/**
 * `runprov exec -- CMD ARGS...`: the whole lifecycle of a run. Install the signal
 * listeners, join a live enclosing run or record a (child) run: check the policy, record the
 * run as running, run CMD with the exports, record how it ended, exit with its code (the
 * recorded path is lib/run/recorded.ts, shared with `rerun`).
 */
import { parseCommandArgs, splitPush, str } from "../cli/args.ts";
import { RUN_OPTIONS } from "../run/run_options.ts";
import { envVars, parseTrackers, TRACKERS } from "../exports/trackers.ts";
import { cometRepo } from "../exports/repo_here.ts";
import { checkVars } from "../shell/common.ts";
import { childRunOptions, inheritedRun, staleNote } from "../run/nested.ts";
import { SignalRelay, supervise } from "../run/supervise.ts";
import { runRecorded } from "../run/recorded.ts";
import { usageError } from "../errors.ts";
import type { Context } from "../io.ts";

export const EXEC_HELP = `runprov exec: run a training command as a recorded run

Usage: runprov exec [--run-id ID] [--name NAME] [--policy MODE | --strict]
                    [--allow-dirty REASON] [--out FILE] [--push[=REMOTE]]
                    [--tag [--url URL] [--sign]] [--tracker T]... [--from FILE]
                    -- CMD [ARGS...]

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
alone; with --run-id ID, --strict, --tag, --push or other capture options it records a
child run whose "parent" is that run.

Options:
  --run-id ID           use this run id; default: random
  --name NAME           a human name for the run
  --policy MODE         strict | warn | off (default warn; env RUNPROV_POLICY)
  --strict              short for --policy strict
  --allow-dirty REASON  let a strict run use a dirty tree, recording why
  --out FILE            keep the record at FILE instead of .runprov/runs/<id>.json
  --tag                 when CMD succeeds, tag its commit run/ID exactly as 'runprov tag'
  --push[=REMOTE]       when CMD ends, push the run as 'runprov push ID' does (record,
                        patch, code; to config share.remote, tag.remote, origin) and,
                        with --tag, its tag first (to config tag.remote, origin); REMOTE
                        names the remote for both; '--push REMOTE' works when CMD follows
                        '--'; config share.push: true pushes every run without --push
  --url URL             with --tag: the run's page, written into the tag message
  --sign                with --tag: a signed tag
  --from FILE           take the git facts from this earlier record instead of asking git
                        (env RUNPROV_FROM), e.g. in a container built without .git
  --tracker T           also set tracker T's own variables (${TRACKERS.join(", ")};
                        repeatable), as 'runprov env --tracker T' prints them

A failed tag or push is reported on stderr; exec still exits with CMD's code, and the
local record stays (push it later with 'runprov push ID').
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
  if ((values.url !== undefined || values.sign) && !values.tag) {
    throw usageError("exec: --url and --sign go with --tag", "add --tag");
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
  // and the child, nor leave the child without its supervisor (lib/run/recorded.ts closes
  // them once the final record is written).
  const relay = new SignalRelay({ terminal: Deno.stdin.isTerminal(), env: ctx.io.env });
  try {
    const trackers = parseTrackers(
      Array.isArray(values.tracker) ? values.tracker.map(String) : [],
    );
    // Inside a live run: reuse it unless options ask for a child run (lib/run/nested.ts).
    const inherited = await inheritedRun(ctx.io.env);
    if (inherited.state === "stale") ctx.warn(staleNote(inherited));
    const parent = inherited.state === "live" ? inherited : null;
    // --push asks for a run of its own to push, as --tag asks for one to tag.
    const childOptions = parent
      ? [
        ...childRunOptions(values, CHILD_RUN_OPTIONS, parent.record.run_id),
        ...(push !== undefined ? ["--push"] : []),
      ]
      : [];
    if (parent && childOptions.length === 0) {
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

    // In an image without .git: the git facts of a record made at build time or on the host.
    const from = str(values.from) ?? (ctx.io.env.RUNPROV_FROM || undefined);
    return await runRecorded(ctx, {
      command,
      cwd: ctx.global.dir,
      values,
      out: str(values.out),
      from,
      push,
      parent: parent?.record.run_id ?? null,
    }, relay);
  } finally {
    await relay.close(); // idempotent: runRecorded closed it already after the final record
  }
}
