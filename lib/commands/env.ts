/** `runprov env`: capture the run (or read a stored record) and print its exports. */
import { dirname, isAbsolute, resolve } from "../util/paths.ts";
import { parseCommandArgs, str } from "../cli/args.ts";
import { planRun } from "../run/session.ts";
import { RUN_OPTIONS } from "../run/run_options.ts";
import { discardRun, storeNewRun } from "../run/persist.ts";
import { shownPath, usageError } from "../errors.ts";
import { FORMAT_NAMES, renderExports } from "../shell/index.ts";
import {
  envVars,
  parseTrackers,
  type Tracker,
  TRACKER_NAMES,
  TRACKERS,
} from "../exports/trackers.ts";
import { cometRepo } from "../exports/repo_here.ts";
import { EXPORT_NAMES } from "../exports/variables.ts";
import type { Context } from "../io.ts";
import { childRunOptions, inheritedRun, staleNote } from "../run/nested.ts";
import { readRecordOrFail } from "../run/store.ts";
import type { RunRecord } from "../run/record.ts";

export const ENV_HELP = `runprov env: capture the run and print shell exports

Usage: runprov env [--format FORMAT] [--tracker T]... [--no-record | --out FILE]
                   [--run-id ID] [--name NAME] [--policy strict|warn|off] [--strict]
                   [--allow-dirty REASON]
       runprov env --from FILE [--format FORMAT] [--tracker T]...
       runprov env --unset [--format FORMAT] [--tracker T]...

Captures the run like 'runprov stamp' (same record, same file), then prints
RUNPROV_RUN_ID, RUNPROV_GIT_SHA, RUNPROV_GIT_SHA_SHORT, RUNPROV_GIT_DESCRIBE,
RUNPROV_GIT_BRANCH, RUNPROV_GIT_DIRTY, RUNPROV_GIT_REMOTE_URL and RUNPROV_FILE.

  eval $(runprov env)                              sh, dash, bash, zsh, busybox sh
  runprov env --format fish | source               fish
  eval "\`runprov env --format tcsh\`"               tcsh, csh
  runprov env --format pwsh | Invoke-Expression    PowerShell
  runprov env --format gha >> "$GITHUB_ENV"        GitHub Actions

An id (or --out FILE) that already has a record is exit 2: records are never replaced.
Inside a live 'runprov exec' run, env without capture options prints that run's exports
(no git, no record); with them it records a child run naming it in "parent".

A value a format cannot carry exactly and safely is refused: exit 2, a message naming
the variable, nothing on stdout. eval succeeds even when runprov fails, so in scripts:
  exports=$(runprov env --strict) || exit $?; eval "$exports"

Options:
  --format FORMAT   ${FORMAT_NAMES.join(" | ")} (default sh)
  --tracker T       also print what tracker T reads itself: ${TRACKERS.join(", ")}
                    (repeatable; see docs/trackers.md)
  --from FILE       print the exports of an existing record; never runs git
                    (env RUNPROV_FROM=FILE)
  --no-record       write no record file (RUNPROV_FILE is then empty)
  --out FILE        write the record to FILE instead of .runprov/runs/<id>.json
  --unset           print the statements that remove the variables (not for dotenv, gha)
  --run-id ID       use this run id; default: random
  --name NAME       a human name for the run
  --policy MODE     strict | warn | off (default warn; env RUNPROV_POLICY)
  --strict          short for --policy strict
  --allow-dirty REASON  let a strict run use a dirty tree, recording why
`;

const OPTIONS = {
  ...RUN_OPTIONS,
  out: { type: "string" },
  format: { type: "string" },
  tracker: { type: "string", multiple: true },
  from: { type: "string" },
  "no-record": { type: "boolean" },
  unset: { type: "boolean" },
} as const;

const CAPTURE_ONLY = ["run-id", "name", "policy", "strict", "allow-dirty", "out", "no-record"];

/** Run `env`. */
export async function env(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("env", args, OPTIONS);
  if (values.help) {
    await ctx.io.stdout(ENV_HELP);
    return 0;
  }
  const format = str(values.format) ?? "sh";
  const rawTrackers = Array.isArray(values.tracker) ? values.tracker.map(String) : [];
  const trackers = parseTrackers(rawTrackers);
  const given = CAPTURE_ONLY.filter((k) => values[k] !== undefined).map((k) => `--${k}`);

  if (values.unset) {
    if (values.from !== undefined || given.length > 0) {
      throw usageError(
        `--unset takes no ${
          [...(values.from !== undefined ? ["--from"] : []), ...given].join(", ")
        }`,
        "'runprov env --unset [--format F] [--tracker T]' removes the variables; it captures nothing",
      );
    }
    const names = [...EXPORT_NAMES, ...trackers.flatMap((t) => TRACKER_NAMES[t])];
    await ctx.io.stdout(renderExports(format, names.map((n) => [n, ""]), true));
    return 0;
  }

  const fromFlag = str(values.from);
  const from = fromFlag ?? (ctx.io.env.RUNPROV_FROM || undefined);
  if (from !== undefined) {
    if (given.length > 0) {
      const source = fromFlag !== undefined ? "--from" : "RUNPROV_FROM";
      throw usageError(
        `${given.join(", ")} cannot be used with ${source}: the record already exists`,
        fromFlag !== undefined
          ? "drop them, or drop --from"
          : "unset RUNPROV_FROM to capture a new run",
      );
    }
    const path = isAbsolute(from) ? from : resolve(ctx.io.cwd, from);
    const record = await readRecordOrFail(path);
    await ctx.io.stdout(await exportsText(ctx, format, record, path, trackers));
    return 0;
  }

  if (values["no-record"] && values.out !== undefined) {
    throw usageError("--no-record conflicts with --out", "give one of them");
  }
  // Inside a live `runprov exec` run: without capture options a rank reuses that run (no
  // git, no new record); with them it records a child run naming it. The same rule as exec.
  const inherited = await inheritedRun(ctx.io.env);
  if (inherited.state === "stale") ctx.warn(staleNote(inherited));
  const parent = inherited.state === "live" ? inherited : null;
  if (parent && childRunOptions(values, CAPTURE_ONLY, parent.record.run_id).length === 0) {
    await ctx.io.stdout(await exportsText(ctx, format, parent.record, parent.path, trackers));
    return 0;
  }

  const out = values["no-record"] ? null : str(values.out);
  const planned = await planRun(ctx, values, out, { parent: parent?.record.run_id ?? null });
  try {
    // Render first: a refused value must leave stdout empty and write no record or patch.
    const text = await exportsText(ctx, format, planned.record, planned.path, trackers);
    await storeNewRun(planned, out);
    await ctx.io.stdout(text);
  } finally {
    await discardRun(planned);
  }
  if (planned.path !== null && out === undefined) await noteRecordsOnce(ctx, planned.path);
  return 0;
}

/**
 * With the first record in its directory: say that every `env` leaves a record, and how to
 * have none or remove them (typed at a terminal, `env` would fill the directory unnoticed).
 * Stops reading the directory at the second record, so a full one costs nothing.
 */
async function noteRecordsOnce(ctx: Context, recordFile: string): Promise<void> {
  let records = 0;
  try {
    for await (const e of Deno.readDir(dirname(recordFile))) {
      if (e.name.endsWith(".json") && !e.name.startsWith(".") && ++records > 1) return;
    }
  } catch {
    return;
  }
  ctx.warn(
    `note: recorded this run in ${shownPath(recordFile)}; every 'runprov env' records a run ` +
      "('--no-record' records none; 'runprov prune' removes unwanted records)",
  );
}

/** The exports of a record in `format`, noting on stderr what Comet will not see here. */
async function exportsText(
  ctx: Context,
  format: string,
  record: RunRecord,
  path: string | null,
  trackers: readonly Tracker[],
): Promise<string> {
  const comet = await cometRepo(record, trackers);
  const text = renderExports(format, envVars(record, path, trackers, comet.top));
  if (comet.note) ctx.warn(comet.note);
  return text;
}
