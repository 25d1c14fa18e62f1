/**
 * `runprov exec -- CMD ARGS...`: the whole lifecycle of a run. Check the policy, record
 * the run as running, run CMD with the exports, record how it ended, exit with its code.
 */
import { parseCommandArgs, splitPush, str } from "../cli/args.ts";
import { RUN_OPTIONS } from "../run/session.ts";
import { TRACKERS } from "../exports/trackers.ts";
import { inheritedRun } from "../run/nested.ts";
import { supervise } from "../run/supervise.ts";
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

  // In an image without .git: the git facts of a record made at build time or on the host.
  const from = str(values.from) ?? (ctx.io.env.RUNPROV_FROM || undefined);
  return await runRecorded(ctx, {
    command,
    cwd: ctx.global.dir,
    values,
    out: str(values.out),
    from,
    push,
    terminal,
  });
}
