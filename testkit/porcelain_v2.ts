/**
 * A second, independent model of `git status --porcelain=v2 --branch -z --show-stash`:
 * seeded random reports and their rendering as git prints them, the oracle the parser's
 * round-trip fuzz compares with.
 */
import type { StatusEntry, StatusReport } from "../lib/git/porcelain.ts";
import type { Rng } from "./rng.ts";
import { PLAIN_CHARS, randomPath } from "./generators.ts";

const HEX = "0123456789abcdef";
const MODES = ["000000", "100644", "100755", "120000", "160000"];
const XY = ".MTADRCU";

function subField(rng: Rng): { field: string; flags?: StatusEntry["submodule"] } {
  if (rng.chance(0.7)) return { field: "N..." };
  const c = rng.chance(0.5), m = rng.chance(0.5), u = rng.chance(0.5);
  return {
    field: `S${c ? "C" : "."}${m ? "M" : "."}${u ? "U" : "."}`,
    flags: { commitChanged: c, modified: m, untracked: u },
  };
}

/** A random `git status --porcelain=v2 --branch` report (the parser's expected output). */
export function randomStatusReport(rng: Rng): StatusReport {
  const detached = rng.chance(0.2);
  const initial = rng.chance(0.1);
  const hasUp = !detached && rng.chance(0.6);
  const report: StatusReport = {
    oid: initial ? null : rng.str(HEX, 40),
    head: detached ? null : rng.str(PLAIN_CHARS + "/", rng.int(1, 30)),
    detached,
    upstream: hasUp ? `origin/${rng.str(PLAIN_CHARS, 8)}` : null,
    ahead: hasUp ? rng.int(0, 5000) : null,
    behind: hasUp ? rng.int(0, 5000) : null,
    stash: rng.chance(0.3) ? rng.int(1, 99) : 0,
    entries: [],
    untracked: [],
    ignored: [],
  };
  const n = rng.int(0, 12);
  for (let i = 0; i < n; i++) {
    const kind = rng.pick(["1", "2", "u", "?", "!"]);
    if (kind === "?") report.untracked.push(randomPath(rng));
    else if (kind === "!") report.ignored.push(randomPath(rng));
    else {
      const sub = subField(rng);
      const e: StatusEntry = {
        type: kind === "1" ? "changed" : kind === "2" ? "renamed" : "unmerged",
        xy: rng.str(XY, 2),
        path: randomPath(rng),
        modes: { head: rng.pick(MODES), index: rng.pick(MODES), worktree: rng.pick(MODES) },
        submodule: sub.flags,
      };
      if (kind === "2") e.origPath = randomPath(rng);
      (e as StatusEntry & { _sub: string })._sub = sub.field;
      report.entries.push(e);
    }
  }
  return report;
}

/** Render a report as git prints it with `--porcelain=v2 --branch -z --show-stash`. */
export function renderPorcelainV2(r: StatusReport): string {
  const out: string[] = [];
  out.push(`# branch.oid ${r.oid ?? "(initial)"}`);
  out.push(`# branch.head ${r.detached ? "(detached)" : r.head}`);
  if (r.upstream !== null) out.push(`# branch.upstream ${r.upstream}`);
  if (r.ahead !== null) out.push(`# branch.ab +${r.ahead} -${r.behind}`);
  if (r.stash > 0) out.push(`# stash ${r.stash}`);
  const h = () => "0123456789abcdef0123456789abcdef01234567";
  for (const e of r.entries) {
    const sub = (e as StatusEntry & { _sub?: string })._sub ?? "N...";
    const m = e.modes;
    if (e.type === "changed") {
      out.push(`1 ${e.xy} ${sub} ${m.head} ${m.index} ${m.worktree} ${h()} ${h()} ${e.path}`);
    } else if (e.type === "renamed") {
      out.push(
        `2 ${e.xy} ${sub} ${m.head} ${m.index} ${m.worktree} ${h()} ${h()} R100 ${e.path}`,
        e.origPath!,
      );
    } else {
      out.push(
        `u ${e.xy} ${sub} ${m.head} ${m.index} 100644 ${m.worktree} ${h()} ${h()} ${h()} ${e.path}`,
      );
    }
  }
  for (const p of r.untracked) out.push(`? ${p}`);
  for (const p of r.ignored) out.push(`! ${p}`);
  return out.map((l) => l + "\0").join("");
}

/** Strip the generator's private annotations so a report compares with the parser's. */
export function plainReport(r: StatusReport): StatusReport {
  return {
    ...r,
    entries: r.entries.map((e) => {
      const { _sub: _, ...rest } = e as StatusEntry & { _sub?: string };
      // The parser always sets the key (undefined for a non-submodule).
      return { ...rest, submodule: rest.submodule };
    }),
  };
}

/** JSON with sorted keys and no undefined members: equal values give equal strings. */
export function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
        : v,
  );
}
