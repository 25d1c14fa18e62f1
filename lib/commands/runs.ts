/** `runprov runs` and `runprov show ID`: run history from local records and run tags. */
import { parseCommandArgs, str } from "../cli/args.ts";
import { shown, shownPath, usageError } from "../errors.ts";
import { gitFor } from "../run/git_for.ts";
import { tagSettingsFor } from "../tag/tag_run.ts";
import { findRecord, findRunRecord, optionalRepo, recordDirFor } from "../run/lookup.ts";
import { snapshotProblem, snapshotRef } from "../snapshot/names.ts";
import type { RunRecord } from "../run/record.ts";
import { formatRuns, hereFacts, shownStatus } from "../run/history.ts";
import { collectRuns } from "../run/listing.ts";
import { matchesFilter, parseLimit, parseStatuses, parseWhen } from "../run/filter.ts";
import { parseTrailers, readNamespaces, shownTag, tagName, tagRef } from "../tag/names.ts";
import { runIdProblem } from "../run/run_id.ts";
import { jsonPrintable, printable } from "../util/printable.ts";
import type { Context } from "../io.ts";
import { containerSuffix, environmentLines } from "../environment/summary.ts";

export const RUNS_HELP = `runprov runs: list runs, newest first

Usage: runprov runs [--status LIST] [--since WHEN] [--before WHEN] [--limit N] [--json]
       runprov runs --remote R [--limit N] [--json]

Merges the run records in .runprov/runs/ with the run tags (run/* under refs/tags and
refs/runprov/tags) and snapshot refs (refs/runprov/snapshots/*), read in one git call.
Columns: id, date (UTC), short sha, describe, tree (clean/dirty/?), snapshot, status,
name. Snapshot: "yes" when the run's snapshot exists (its ref, or its tag on one), "-"
when it is not built yet (restore, rerun, diff and tag build it), "no" when it cannot
be built (a dirty run whose patch was cut or not stored, a run recorded without git).
Status is the record's (captured, running, succeeded, failed); "lost" for a running
record whose supervisor process on this host is gone; "running?" when it ran on another
host; "tagged" for a run known only from its tag; "+tag" when the run has its tag;
"+shared" when it is shared through the remote (runprov push or fetch made its ref).
Outside a repository only the records under the current directory are listed.

With --remote R (a configured remote's name) it lists the runs shared on that remote
instead, from its refs alone (one git ls-remote of refs/runprov/runs/*, no objects
fetched): each run's id and run commit, sorted by id. Dates, status and the rest are in
the records, which 'runprov show ID' or 'runprov fetch [ID...]' brings here.

Options:
  --status LIST   only runs with one of these statuses (comma-separated, repeatable):
                  captured, running, running?, lost, succeeded, failed, tagged
  --since WHEN    only runs created at or after WHEN: an age (30m, 12h, 7d, 2w) or a
                  date (2026-11-30, 2026-11-30T12:00:00Z)
  --before WHEN   only runs created before WHEN
  --limit N       show only the newest N runs (after the filters; with --remote: the
                  first N ids)
  --json          print a JSON array instead of the table ({id, date, sha, sha_short,
                  describe, dirty, snapshot, snapshot_problem, status, name, tag, record,
                  shared}; with --remote: {id, commit})
  --remote R      list the runs shared on remote R instead (no filters: the remote's
                  refs carry no dates or statuses)
`;

export const SHOW_HELP = `runprov show: show one run

Usage: runprov show ID [--json] [--remote R]

Prints the run's record when there is one in .runprov/runs/ (in a restored worktree:
the main checkout's), with its snapshot (the commit, not built yet, or why none is
possible) and, for a rerun, the run it reran; else what its tag run/ID (under
refs/tags or refs/runprov/tags) carries (commit, date and the Runprov-* trailers). A
run that is neither here nor tagged but shared on the remote (--remote R, else config
share.remote, then tag.remote, then origin) is fetched first, that run alone, as
'runprov fetch ID' does. The summary of a record names its environment: python
version and kind, package count and digest, torch, GPU models and driver,
CUDA_VISIBLE_DEVICES and the container (on the host line). Control characters in what
others wrote (tag messages, names, paths) are printed escaped (\\x1b, \\r, \\u202e).

Options:
  --json       print JSON: the record, or {run_id, tag, commit, date, trailers, message}
  --remote R   the remote to fetch the run from when it is not here
`;

/** Run `runs`. */
export async function runs(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("runs", args, {
    json: { type: "boolean" },
    limit: { type: "string" },
    status: { type: "string", multiple: true },
    since: { type: "string" },
    before: { type: "string" },
    remote: { type: "string" },
  });
  if (values.help) {
    await ctx.io.stdout(RUNS_HELP);
    return 0;
  }
  const limit = parseLimit(str(values.limit));
  const remote = str(values.remote);
  if (remote !== undefined) {
    // The remote side (and its modules) loads only when asked for.
    const { listRemoteRuns, refuseFiltersWithRemote } = await import("./runs_remote.ts");
    refuseFiltersWithRemote(values);
    return await listRemoteRuns(ctx, remote, limit, !!values.json);
  }
  const now = ctx.io.now();
  const since = str(values.since);
  const before = str(values.before);
  const filter = {
    statuses: parseStatuses((values.status ?? []) as string[], "runs"),
    since: since === undefined ? null : parseWhen(since, "--since", "runs", now),
    before: before === undefined ? null : parseWhen(before, "--before", "runs", now),
  };
  const listing = await collectRuns(ctx, "runprov runs");
  if (listing.skipped.length) {
    ctx.warn(
      `note: skipped ${listing.skipped.length} file(s) that are not run records: ${
        listing.skipped.join(", ")
      }`,
    );
  }
  const filtered = filter.statuses || filter.since !== null || filter.before !== null;
  const entries = listing.entries.filter((e) => matchesFilter(e, filter)).slice(0, limit);
  // Names, describes and trailers may come from tags others pushed: nothing they hold
  // reaches the terminal raw.
  if (values.json) {
    await ctx.io.stdout(jsonPrintable(JSON.stringify(entries, null, 2)) + "\n");
  } else if (entries.length === 0) {
    ctx.warn(
      filtered && listing.entries.length > 0
        ? `no runs match (${listing.entries.length} without the filters)`
        : "no runs yet (no records in the record directory and no run tags)",
    );
  } else {
    await ctx.io.stdout(formatRuns(entries));
  }
  return 0;
}

/** Run `show`. */
export async function show(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("show", args, {
    json: { type: "boolean" },
    remote: { type: "string" },
  }, true);
  if (values.help) {
    await ctx.io.stdout(SHOW_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw usageError("show: give exactly one run id", "usage: runprov show ID [--json]");
  }
  const id = positionals[0];
  const problem = runIdProblem(id);
  if (problem) throw usageError(`invalid run id ${shown(id)}: ${problem}`);
  const git = await gitFor(ctx);
  const info = await optionalRepo(git, "runprov show");
  const settings = await tagSettingsFor(ctx, info?.root ?? null);
  const base = info?.root ?? ctx.global.dir;
  let [stored, tag, snap] = await Promise.all([
    info ? findRunRecord(info, settings, id) : findRecord(recordDirFor(base, settings), id),
    info ? git.tagInfo(tagName(settings, id), readNamespaces(settings)) : Promise.resolve(null),
    info ? git.commitRef(snapshotRef(id)) : Promise.resolve(null),
  ]);
  if (!stored && !tag && info) {
    const { fetchRemoteOnlyRun } = await import("./remote_run.ts");
    stored = await fetchRemoteOnlyRun(ctx, git, info, id, str(values.remote));
    if (stored) snap = await git.commitRef(snapshotRef(id)); // set by the fetch
  }
  // The tag found (in either namespace), else the one the settings would make.
  const name = tag ? shownTag(tag.ref) : shownTag(tagRef(settings, id));
  if (stored) {
    const r = stored.record;
    if (values.json) {
      await ctx.io.stdout(jsonPrintable(JSON.stringify(r, null, 2)) + "\n");
      return 0;
    }
    const g = r.git;
    const lines: [string, string][] = [
      ["run", r.name ? `${r.run_id} (${r.name})` : r.run_id],
      ["created", r.created_at],
      ["status", shownStatus(r, await hereFacts([r]))],
      ...(r.parent ? [["parent", r.parent] as [string, string]] : []),
      ["commit", g.available ? `${g.sha} (${g.describe ?? g.sha_short})` : `unknown: ${g.reason}`],
      ["branch", g.branch ?? (g.detached ? "(detached)" : "-")],
      [
        "tree",
        g.dirty ? `dirty: ${g.changed.map((c) => `${c.kind} ${c.path}`).join(", ")}` : "clean",
      ],
      [
        "policy",
        `${r.policy.mode}: ${r.policy.verdict}${r.policy.reason ? ` (${r.policy.reason})` : ""}`,
      ],
    ];
    if (g.patch) lines.push(["patch", `${g.patch.path} sha256 ${g.patch.sha256}`]);
    if (r.rerun_of) {
      lines.push(["rerun of", `${r.rerun_of} (ran its snapshot ${g.sha.slice(0, 12)})`]);
    }
    if (r.command) {
      lines.push(["command", JSON.stringify(r.command.argv)]);
      if (r.command.exit_code !== null) lines.push(["exit", String(r.command.exit_code)]);
    }
    const inside = containerSuffix(r.environment);
    if (r.host?.hostname || inside) lines.push(["host", `${r.host?.hostname ?? "-"}${inside}`]);
    lines.push(...environmentLines(r.environment));
    lines.push(["record", stored.path]);
    const tagged = tag ? parseTrailers(tag.message) : {};
    const tagOnSnapshot = tag !== null && tagged.commit === g.sha && tag.commit !== g.sha;
    lines.push([
      "tag",
      tag
        ? tag.commit === g.sha
          ? name
          : tagOnSnapshot
          ? `${name} (on its snapshot ${tag.commit.slice(0, 12)})`
          : `${name} (on another commit: ${tag.commit})`
        : "none",
    ]);
    lines.push(["snapshot", snapshotLine(r, snap?.commit ?? null)]);
    await ctx.io.stdout(
      printable(lines.map(([k, v]) => `${k.padEnd(8)} ${v}`).join("\n")) + "\n",
    );
    return 0;
  }
  if (!tag) {
    throw usageError(
      `no run ${id}: no record in ${shownPath(recordDirFor(base, settings))} and no tag ${name}`,
      "list runs with: runprov runs",
    );
  }
  const trailers = parseTrailers(tag.message);
  if (values.json) {
    await ctx.io.stdout(
      jsonPrintable(JSON.stringify(
        {
          run_id: id,
          tag: name,
          commit: tag.commit,
          date: tag.date,
          trailers,
          message: tag.message,
        },
        null,
        2,
      )) + "\n",
    );
    return 0;
  }
  // The message is whoever made the tag's text: escape ESC, CR, BEL, bidi overrides...
  await ctx.io.stdout(
    printable(`tag      ${name}\ncommit   ${tag.commit}\ndate     ${tag.date}\n\n${tag.message}`) +
      (tag.message.endsWith("\n") || tag.message === "" ? "" : "\n"),
  );
  return 0;
}

/** What `show` says about a run's snapshot: there, buildable, or why not. */
function snapshotLine(r: RunRecord, commit: string | null): string {
  const ref = snapshotRef(r.run_id);
  if (commit) {
    return `${commit} (${ref}${r.git.dirty ? `: ${r.git.sha.slice(0, 12)} plus its patch` : ""})`;
  }
  const problem = snapshotProblem(r);
  if (problem) return `none possible: ${problem}`;
  return `not built yet (runprov restore --print ${r.run_id} builds ${ref})`;
}
