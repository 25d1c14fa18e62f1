/** `runprov fetch [ID...]`: get shared runs from the git remote into this clone. */
import { parseCommandArgs, str } from "../cli/args.ts";
import { renderError } from "../errors.ts";
import { configFor } from "../config/for_command.ts";
import { gitFor } from "../run/git_for.ts";
import { requireRepo } from "../run/lookup.ts";
import { checkRunId } from "../run/run_id.ts";
import { openTarget } from "../share/share.ts";
import { fetchRuns } from "../share/fetch_runs.ts";
import { outcomesJson, report } from "../share/report.ts";
import type { Context } from "../io.ts";

export const FETCH_HELP = `runprov fetch: get shared runs from the git remote

Usage: runprov fetch [ID...] [--remote R] [--json]

Fetches the given runs (default: every run on the remote) from refs/runprov/runs/ into
this repository's refs/runprov/runs/, then writes each run's record (and patch) into the
record directory byte for byte, as the run made them, and points
refs/runprov/snapshots/<id> at the run's code. Afterwards runs, show, verify, restore,
rerun and diff work on them as on local runs, in a fresh clone too.

Nothing is ever replaced: a run here with other content under the same id (a record file
or run ref) is a conflict (exit 5) and stays as it is. So is a ref on the remote that is
not a run commit runprov wrote.

Options:
  --remote R   a configured remote's name (default: config share.remote, then tag.remote,
               then origin); never a URL
  --json       print what happened to each run as JSON

Exit: 0 fetched (or already here), 2 usage (an id the remote does not have), 5 conflict,
or the remote could not be reached (its reason is shown; nothing changed here).
`;

/** Run `fetch`. */
export async function fetch(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("fetch", args, {
    remote: { type: "string" },
    json: { type: "boolean" },
  }, true);
  if (values.help) {
    await ctx.io.stdout(FETCH_HELP);
    return 0;
  }
  const ids = [...new Set(positionals.map((id) => checkRunId(id, "run id")))];
  const git = await gitFor(ctx);
  const info = await requireRepo(git, "runprov fetch");
  const loaded = await configFor(ctx, info.root);
  const target = await openTarget(git, info, loaded.config, str(values.remote));
  const outcomes = await fetchRuns(target, ids);
  const r = report(outcomes, "fetch", target.remote);
  if (outcomes.length === 0) ctx.warn(`no runs on ${target.remote}`);
  for (const note of r.notes) ctx.warn(note);
  for (const e of r.errors) ctx.io.stderr(renderError(e).text);
  if (values.json) await ctx.io.stdout(outcomesJson(outcomes));
  return r.code;
}
