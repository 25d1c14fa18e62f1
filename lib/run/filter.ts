/**
 * Selecting runs by status and date, for `runs --status/--since/--before` and `prune`:
 * parsing the option values and the predicate. Pure.
 */
import { clipped, shown, usageError } from "../errors.ts";
import type { RunEntry, ShownStatus } from "./history.ts";

/** Every status `runs` shows, as `--status` accepts them. */
export const SHOWN_STATUSES: readonly ShownStatus[] = [
  "captured",
  "running",
  "running?",
  "lost",
  "succeeded",
  "failed",
  "tagged",
];

/** Which runs to keep: any of `statuses` (null: all), created in [since, before). */
export interface RunFilter {
  statuses: ReadonlySet<ShownStatus> | null;
  /** Epoch milliseconds, inclusive. */
  since: number | null;
  /** Epoch milliseconds, exclusive. */
  before: number | null;
}

/**
 * `--status captured,failed` (repeatable) as a set; an unknown status is a usage error.
 *
 * @example
 * [...parseStatuses(["captured,failed"], "runs")!]; // ["captured", "failed"]
 */
export function parseStatuses(values: readonly string[], command: string): Set<ShownStatus> | null {
  if (values.length === 0) return null;
  const out = new Set<ShownStatus>();
  for (const v of values) {
    for (const s of v.split(",")) {
      if (!(SHOWN_STATUSES as readonly string[]).includes(s)) {
        throw usageError(
          `${command}: unknown status ${JSON.stringify(clipped(s))}`,
          `use one or more of: ${SHOWN_STATUSES.join(", ")} (comma-separated)`,
        );
      }
      out.add(s as ShownStatus);
    }
  }
  return out;
}

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * A point in time for `--since`/`--before`: an age (`30m`, `12h`, `7d`, `2w`: that long
 * before `now`) or an ISO 8601 date or date-time (`2026-11-30`, `2026-11-30T12:00:00Z`;
 * without a zone, UTC).
 *
 * @example
 * parseWhen("7d", "--since", "runs", new Date("2026-12-08T00:00:00Z"));
 * // Date.parse("2026-12-01T00:00:00Z")
 */
export function parseWhen(value: string, option: string, command: string, now: Date): number {
  const age = /^(\d{1,6})([mhdw])$/.exec(value);
  if (age) return now.getTime() - Number(age[1]) * UNIT_MS[age[2]];
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  if (iso.test(value)) {
    const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(value) || value.length === 10
      ? value
      : `${value}Z`;
    const t = Date.parse(zoned.replace(" ", "T"));
    if (!Number.isNaN(t)) return t;
  }
  throw usageError(
    `${command}: ${option} ${JSON.stringify(clipped(value))} is not a date or an age`,
    "write an age such as 30m, 12h, 7d, 2w, or a date such as 2026-11-30 or 2026-11-30T12:00:00Z",
  );
}

/** Whether a run passes the filter (its date is the record's created_at or the tag's). */
export function matchesFilter(entry: RunEntry, f: RunFilter): boolean {
  if (f.statuses && !f.statuses.has(entry.status)) return false;
  const t = Date.parse(entry.date);
  if (f.since !== null && !(t >= f.since)) return false;
  if (f.before !== null && !(t < f.before)) return false;
  return true;
}

/** `runs --limit N`: a positive count, or no limit (Infinity) when not given. */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return Infinity;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw usageError(`runs: --limit needs a positive number, not ${shown(raw)}`);
  }
  return Number(raw);
}
