/**
 * `runprov prune`: remove the records nobody wants (by default the `captured` records that
 * `runprov env` and `stamp` leave), as a dry run unless `--yes`; never the record of a run
 * that is tagged, pushed or running.
 */
import { parseCommandArgs, str } from "../cli/args.ts";
import { collectRuns } from "../run/listing.ts";
import { matchesFilter, parseStatuses, parseWhen, type RunFilter } from "../run/filter.ts";
import type { RunEntry } from "../run/history.ts";
import { patchPathFor } from "../run/patch.ts";
import { shownPath } from "../errors.ts";
import { printable } from "../util/printable.ts";
import type { Context } from "../io.ts";

export const PRUNE_HELP = `runprov prune: remove run records nobody wants

Usage: runprov prune [--status LIST] [--since WHEN] [--before WHEN] [--yes]

Lists the records that match (by default: status captured, the records 'runprov env'
and 'runprov stamp' leave) and, with --yes, removes them: the record, its patch, and its
snapshot ref (refs/runprov/snapshots/ID). Without --yes nothing is removed.

Never removed, whatever the filters say: a run that has its run tag, a run that was
pushed (refs/runprov/runs/ID exists here), and a running run (its supervisor is alive,
or it ran on another host and runprov cannot tell).

Options:
  --status LIST   which statuses to remove (comma-separated, repeatable; default captured):
                  captured, lost, succeeded, failed
  --since WHEN    only runs created at or after WHEN: an age (30m, 12h, 7d, 2w) or a date
  --before WHEN   only runs created before WHEN (e.g. --before 7d: older than a week)
  --yes           remove them (default: only list what would be removed)
`;

const SNAPSHOTS = "refs/runprov/snapshots/";
const SHARED = "refs/runprov/runs/";

/** Why a matching run's record is kept, or null when it may go. */
function keptBecause(e: RunEntry, refs: ReadonlyMap<string, string>): string | null {
  if (e.tag) return `tagged (${e.tag})`;
  if (refs.has(SHARED + e.id)) return `pushed (${SHARED}${e.id})`;
  if (e.status === "running" || e.status === "running?") return e.status;
  return null;
}

async function removeIfThere(path: string): Promise<boolean> {
  try {
    await Deno.remove(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Run `prune`. */
export async function prune(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("prune", args, {
    status: { type: "string", multiple: true },
    since: { type: "string" },
    before: { type: "string" },
    yes: { type: "boolean" },
  });
  if (values.help) {
    await ctx.io.stdout(PRUNE_HELP);
    return 0;
  }
  const now = ctx.io.now();
  const since = str(values.since);
  const before = str(values.before);
  const filter: RunFilter = {
    statuses: parseStatuses((values.status ?? ["captured"]) as string[], "prune"),
    since: since === undefined ? null : parseWhen(since, "--since", "prune", now),
    before: before === undefined ? null : parseWhen(before, "--before", "prune", now),
  };
  const listing = await collectRuns(ctx, "runprov prune");
  const refs = listing.info
    ? await listing.git.refsUnder([SNAPSHOTS, SHARED])
    : new Map<string, string>();
  const matching = listing.entries.filter((e) => e.record !== null && matchesFilter(e, filter));
  const kept: [RunEntry, string][] = [];
  const doomed: RunEntry[] = [];
  for (const e of matching) {
    const why = keptBecause(e, refs);
    if (why) kept.push([e, why]);
    else doomed.push(e);
  }
  const lines: string[] = [];
  for (const e of doomed) {
    if (values.yes) {
      await removeIfThere(e.record!);
      await removeIfThere(patchPathFor(e.record!));
      const snapshot = SNAPSHOTS + e.id;
      const oid = refs.get(snapshot);
      if (oid) await listing.git.deleteRef(snapshot, oid);
    }
    lines.push(
      `${values.yes ? "removed" : "would remove"} ${e.id}  ${e.status}  ${
        e.date.replace(/\.\d{3}Z$/, "Z")
      }  ${shownPath(e.record!)}`,
    );
  }
  for (const [e, why] of kept) lines.push(`kept ${e.id}: ${why}`);
  if (lines.length > 0) await ctx.io.stdout(printable(lines.join("\n")) + "\n");
  if (doomed.length === 0) {
    ctx.warn(`nothing to prune (${matching.length} matching, ${kept.length} kept)`);
  } else if (!values.yes) {
    ctx.warn(
      `dry run: ${doomed.length} record(s) would be removed; run again with --yes to remove them`,
    );
  }
  return 0;
}
