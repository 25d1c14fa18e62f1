/**
 * `runprov runs --remote R`: the runs a remote holds, from its refs alone (one `git
 * ls-remote`, no objects). The `runs` command enters here: with `--remote` only this small
 * module loads (the listing is one git process, and start-up is most of its time); any other
 * `runs` goes on to runs.ts.
 */
import { parseCommandArgs, str } from "../cli/args.ts";
import { usageError } from "../errors.ts";
import { gitFor } from "../run/git_for.ts";
import { checkRemoteName } from "../share/settings.ts";
import { remoteRuns } from "../share/list.ts";
import type { Context } from "../io.ts";
import { parseLimit } from "../run/filter.ts";

/** Run `runs`: `runs --remote R` here, everything else in runs.ts. */
export async function runsOrRemote(ctx: Context, args: string[]): Promise<number> {
  const remote = args.some((a) => a === "--remote" || a.startsWith("--remote="));
  const help = args.some((a) => a === "-h" || a === "--help");
  if (!remote || help) return await (await import("./runs.ts")).runs(ctx, args);
  const { values } = parseCommandArgs("runs", args, {
    json: { type: "boolean" },
    limit: { type: "string" },
    remote: { type: "string" },
    status: { type: "string", multiple: true },
    since: { type: "string" },
    before: { type: "string" },
  });
  refuseFiltersWithRemote(values);
  const limit = parseLimit(str(values.limit));
  return await listRemoteRuns(ctx, str(values.remote)!, limit, values.json === true);
}

/** `--status`, `--since` and `--before` filter local runs only: exit 2 with `--remote`. */
export function refuseFiltersWithRemote(values: Record<string, unknown>): void {
  if (values.status !== undefined || values.since !== undefined || values.before !== undefined) {
    throw usageError(
      "runs: --status, --since and --before do not go with --remote",
      "the remote's refs carry no dates or statuses: runprov fetch the runs, then filter them",
    );
  }
}

/**
 * `runs --remote R`: the remote's run ids and run commits, sorted by id, as a table or JSON;
 * exactly one git process (`git ls-remote R 'refs/runprov/runs/*'`).
 */
export async function listRemoteRuns(
  ctx: Context,
  remote: string,
  limit: number,
  json: boolean,
): Promise<number> {
  checkRemoteName(remote);
  const { runs, ignored } = await remoteRuns(await gitFor(ctx), remote);
  const shown = runs.slice(0, limit);
  if (ignored > 0) {
    ctx.warn(`note: ${ignored} ref(s) under refs/runprov/runs/ on ${remote} are not run ids`);
  }
  if (json) {
    await ctx.io.stdout(JSON.stringify(shown, null, 2) + "\n");
    return 0;
  }
  if (runs.length === 0) {
    ctx.warn(
      `no runs on ${remote} (nothing under refs/runprov/runs/; share some with runprov push)`,
    );
    return 0;
  }
  const width = Math.max(2, ...shown.map((r) => r.id.length));
  const lines = [
    `${"ID".padEnd(width)}  COMMIT`,
    ...shown.map((r) => `${r.id.padEnd(width)}  ${r.commit.slice(0, 12)}`),
  ];
  await ctx.io.stdout(lines.join("\n") + "\n");
  ctx.warn(
    `${runs.length} run(s) on ${remote}, from its refs only; runprov show ID or ` +
      "runprov fetch [ID...] gets their records",
  );
  return 0;
}
