/**
 * Run history: reading the record directory, telling running from lost, and merging
 * records with run tags. Reading files is here; the merge and status rules are pure.
 */
import { join } from "../util/paths.ts";
import type { RunRecord } from "./record.ts";
import { readRecordFile, type StoredRecord } from "./store.ts";
import { printable } from "../util/printable.ts";
import type { TagRef } from "../git/parse.ts";
import { parseTrailers, shownTag, subjectFromTrailers } from "../tag/names.ts";
import { probeProcess, type ProcessProbe, sameProcess } from "./liveness.ts";
import { isObjectId, snapshotProblem, snapshotRef } from "../snapshot/names.ts";

/**
 * Every record in `dir`. Temp files (`.<name>.tmp-*`), other dot files, non-JSON files
 * and JSON that is not a runprov record are skipped (their names are returned), never fatal.
 * A missing directory is no records.
 */
export async function readRecordDir(
  dir: string,
): Promise<{ records: StoredRecord[]; skipped: string[] }> {
  const records: StoredRecord[] = [];
  const skipped: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return { records, skipped };
    }
    throw err;
  }
  for (const e of entries.sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (e.name.startsWith(".") || !e.name.endsWith(".json") || e.isDirectory) continue;
    try {
      const r = await readRecordFile(join(dir, e.name));
      if (r) records.push(r);
    } catch {
      skipped.push(e.name);
    }
  }
  return { records, skipped };
}

/** Status shown for a run: the record's, `lost`, `running?`, or `tagged` (tag only). */
export type ShownStatus = RunRecord["status"] | "lost" | "running?" | "tagged";

/** What the current machine can say about a supervisor process. */
export interface HereFacts {
  hostname: string | null;
  /**
   * Whether the process `pid` that started at `start` (`command.supervisor_start`) still
   * runs: true/false when known, null when this system cannot tell.
   */
  alive(pid: number, start?: string | null): boolean | null;
}

/**
 * The status to show. A `running` record whose supervisor (`command.supervisor_pid`) ran
 * on this host and is gone (or whose pid now belongs to a process that started later) is
 * `lost`; on another host, or when liveness cannot be checked, it is `running?` (runprov
 * cannot see other machines' processes).
 *
 * @example
 * shownStatus(rec, { hostname: "gpu1", alive: () => false }); // "lost" for a running rec from gpu1
 */
export function shownStatus(record: RunRecord, here: HereFacts): ShownStatus {
  if (record.status !== "running") return record.status;
  const pid = record.command?.supervisor_pid;
  if (typeof pid !== "number" || !record.host?.hostname) return "running?";
  if (record.host.hostname !== here.hostname) return "running?";
  const alive = here.alive(pid, record.command?.supervisor_start);
  if (alive === null) return "running?";
  return alive ? "running" : "lost";
}

/**
 * {@link HereFacts} for this machine: the supervisor pids of `running` records made on
 * this host are probed once, up front (lib/run/liveness.ts).
 */
export async function hereFacts(records: readonly RunRecord[]): Promise<HereFacts> {
  let hostname: string | null = null;
  try {
    hostname = Deno.hostname();
  } catch { /* without --allow-sys=hostname liveness stays unknown */ }
  const pids = new Set<number>();
  for (const r of records) {
    const pid = r.command?.supervisor_pid;
    if (r.status === "running" && typeof pid === "number" && r.host?.hostname === hostname) {
      pids.add(pid);
    }
  }
  const probes = new Map<number, ProcessProbe>();
  await Promise.all([...pids].map(async (p) => probes.set(p, await probeProcess(p))));
  return {
    hostname,
    alive: (pid, start) => {
      const probe = probes.get(pid);
      return probe ? sameProcess(start, probe) : null;
    },
  };
}

/** One line of `runprov runs`. */
export interface RunEntry {
  id: string;
  /** ISO 8601 UTC: the record's `created_at`, else the tag's date. */
  date: string;
  sha: string;
  sha_short: string;
  describe: string | null;
  dirty: boolean | null;
  status: ShownStatus;
  name: string | null;
  /** The run tag's name (`run/x`; its full ref outside refs/tags), or null when none. */
  tag: string | null;
  /** The record file, or null when only the tag is known. */
  record: string | null;
  /** The tag points at another commit than the record (a reused id). */
  tag_mismatch?: boolean;
  /** The run is shared: `refs/runprov/runs/<id>` exists here (made by push or fetch). */
  shared?: boolean;
  /**
   * The run's snapshot commit when one exists without building (its
   * `refs/runprov/snapshots/<id>`, or a run tag on a snapshot), else null.
   */
  snapshot: string | null;
  /** Why the run cannot have a snapshot (null: it can; restore/diff/rerun build it). */
  snapshot_problem: string | null;
}

function isoUtc(date: string): string {
  const t = Date.parse(date);
  return Number.isNaN(t) ? date : new Date(t).toISOString();
}

/**
 * Merge records and run tags into one list, newest first. A run with both shows the
 * record's facts and the tag's name.
 */
export function mergeRuns(
  records: readonly StoredRecord[],
  tags: readonly TagRef[],
  prefix: string,
  here: HereFacts,
  snapshots: ReadonlyMap<string, string> = new Map(),
): RunEntry[] {
  const byId = new Map<string, RunEntry>();
  for (const { path, record: r } of records) {
    byId.set(r.run_id, {
      snapshot: snapshots.get(snapshotRef(r.run_id)) ?? null,
      snapshot_problem: snapshotProblem(r),
      id: r.run_id,
      date: isoUtc(r.created_at),
      sha: r.git.sha,
      sha_short: r.git.sha_short ?? r.git.sha.slice(0, 7),
      describe: r.git.describe ?? null,
      dirty: r.git.available === false ? null : r.git.dirty,
      status: shownStatus(r, here),
      name: r.name ?? null,
      tag: null,
      record: path,
    });
  }
  for (const t of tags) {
    if (!t.name.startsWith(prefix)) continue;
    const id = t.name.slice(prefix.length);
    const have = byId.get(id);
    const trailers = parseTrailers(t.message);
    // A dirty run's tag sits on its snapshot, whose trailers name the recorded commit.
    const onSnapshot = isObjectId(trailers.commit) && trailers.commit !== t.commit;
    if (have) {
      have.tag = shownTag(t.ref);
      if (have.sha !== t.commit && !(onSnapshot && trailers.commit === have.sha)) {
        have.tag_mismatch = true;
      }
      if (onSnapshot) have.snapshot ??= t.commit;
      continue;
    }
    const s = subjectFromTrailers(trailers, t.commit);
    const dirty = s?.dirty ?? null;
    const ref = snapshots.get(snapshotRef(id)) ?? null;
    byId.set(id, {
      snapshot: ref ?? (onSnapshot ? t.commit : null),
      snapshot_problem: ref || onSnapshot || dirty !== true
        ? null
        : `run ${id} was dirty and only its tag (on the recorded commit) is here`,
      id,
      date: isoUtc(s?.createdAt ?? t.date),
      sha: t.commit,
      sha_short: t.commit.slice(0, 7),
      describe: s?.describe ?? null,
      dirty,
      status: "tagged",
      name: s?.name ?? null,
      tag: shownTag(t.ref),
      record: null,
    });
  }
  return [...byId.values()].sort((a, b) =>
    a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : 1
  );
}

/** The human table of `runprov runs`, control characters escaped. */
export function formatRuns(entries: readonly RunEntry[]): string {
  const rows = entries.map((e) =>
    [
      e.id,
      e.date.replace(/\.\d{3}Z$/, "Z"),
      e.sha_short,
      e.describe ?? "-",
      e.dirty === null ? "?" : e.dirty ? "dirty" : "clean",
      e.snapshot ? "yes" : e.snapshot_problem ? "no" : "-",
      e.status + (e.tag && e.status !== "tagged" ? "+tag" : "") +
      (e.tag_mismatch ? "(tag on other commit)" : "") + (e.shared ? "+shared" : ""),
      e.name ?? "",
    ].map(printable)
  ); // names and describes may come from others' tags
  const head = ["ID", "DATE", "SHA", "DESCRIBE", "TREE", "SNAPSHOT", "STATUS", "NAME"];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) =>
    r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ").trimEnd()
  )
    .join("\n") + "\n";
}
