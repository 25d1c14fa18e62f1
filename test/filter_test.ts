/** Selecting runs by status and date (`runs --status/--since/--before`, `prune`). */
import { assertEquals } from "./assert.ts";
import { matchesFilter, parseStatuses, parseWhen, type RunFilter } from "../lib/run/filter.ts";
import type { RunEntry } from "../lib/run/history.ts";

const NOW = new Date("2026-12-08T12:00:00Z");

/** The RunprovError `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): { exitCode: number; message: string; hint: string } {
  try {
    fn();
  } catch (err) {
    return err as { exitCode: number; message: string; hint: string };
  }
  throw new Error("expected an error");
}

Deno.test("filter: ages count back from now; dates without a zone are UTC", () => {
  assertEquals(parseWhen("30m", "--since", "runs", NOW), Date.parse("2026-12-08T11:30:00Z"));
  assertEquals(parseWhen("12h", "--since", "runs", NOW), Date.parse("2026-12-08T00:00:00Z"));
  assertEquals(parseWhen("7d", "--since", "runs", NOW), Date.parse("2026-12-01T12:00:00Z"));
  assertEquals(parseWhen("2w", "--since", "runs", NOW), Date.parse("2026-11-24T12:00:00Z"));
  assertEquals(
    parseWhen("2026-11-30", "--before", "prune", NOW),
    Date.parse("2026-11-30T00:00:00Z"),
  );
  assertEquals(
    parseWhen("2026-11-30T08:00", "--before", "prune", NOW),
    Date.parse("2026-11-30T08:00:00Z"),
  );
  assertEquals(
    parseWhen("2026-11-30T08:00:00+02:00", "--before", "prune", NOW),
    Date.parse("2026-11-30T06:00:00Z"),
  );
});

Deno.test("filter: a value that is neither an age nor a date is a usage error saying both forms", () => {
  for (const bad of ["yesterday", "7", "7y", "2026-13-45", "", "1d;rm"]) {
    const err = thrown(() => parseWhen(bad, "--since", "runs", NOW));
    assertEquals(err.exitCode, 2, bad);
    assertEquals(err.hint.includes("7d") && err.hint.includes("2026-11-30"), true);
  }
});

Deno.test("filter: --status takes a comma list, repeatable; an unknown status names the choices", () => {
  assertEquals(parseStatuses([], "runs"), null);
  assertEquals([...parseStatuses(["captured,failed", "lost"], "runs")!], [
    "captured",
    "failed",
    "lost",
  ]);
  const err = thrown(() => parseStatuses(["done"], "runs"));
  assertEquals(err.exitCode, 2);
  assertEquals(err.hint.startsWith("use one or more of: captured, running"), true);
});

function entry(status: RunEntry["status"], date: string): RunEntry {
  return {
    id: "x",
    date,
    sha: "0".repeat(40),
    sha_short: "0000000",
    describe: null,
    dirty: false,
    snapshot: null,
    snapshot_problem: null,
    status,
    name: null,
    tag: null,
    record: null,
  };
}

Deno.test("filter: status set and [since, before) window", () => {
  const f: RunFilter = {
    statuses: new Set(["captured"]),
    since: Date.parse("2026-12-01T00:00:00Z"),
    before: Date.parse("2026-12-02T00:00:00Z"),
  };
  assertEquals(matchesFilter(entry("captured", "2026-12-01T00:00:00.000Z"), f), true);
  assertEquals(matchesFilter(entry("captured", "2026-12-02T00:00:00.000Z"), f), false);
  assertEquals(matchesFilter(entry("captured", "2026-11-30T23:59:59.000Z"), f), false);
  assertEquals(matchesFilter(entry("failed", "2026-12-01T10:00:00.000Z"), f), false);
  assertEquals(matchesFilter(entry("failed", "garbage"), { ...f, statuses: null }), false);
  assertEquals(
    matchesFilter(entry("failed", "garbage"), { statuses: null, since: null, before: null }),
    true,
  );
});
