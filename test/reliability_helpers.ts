/**
 * The reliability harness (issue 8): seeded random generators, and the load, fault and
 * hostile-input scenarios as functions that return figures. The tests (load_test.ts,
 * faults_test.ts, hostile_test.ts, fuzz_test.ts) run them small and assert zero failures;
 * scripts/reliability.ts runs them at full size and prints the figures.
 *
 * Adding a command to a scenario is one line in the matching table below
 * (LOAD_COMMANDS, SHARED_ID_COMMANDS, KILL_COMMANDS, WRITE_FAULT_COMMANDS,
 * GIT_HANG_COMMANDS, SECRET_COMMANDS, NO_PROGRAM_COMMANDS, MALFORMED_COMMANDS).
 */
import { join } from "node:path";
import { parseRecord } from "../lib/run/record.ts";
import type { StatusEntry, StatusReport } from "../lib/git/porcelain.ts";
import { run, runprovArgv, Sandbox } from "./helpers.ts";
import { type Case, CASES as SHELL_CASES, checkCase } from "./shell_matrix.ts";
import { which } from "./hostile.ts";

// ---------------------------------------------------------------------------------------
// Seeded randomness (no dependencies)

/** A seeded PRNG (mulberry32): `next()` in [0, 1), plus the helpers generators need. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)];
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** A string of `n` characters drawn from `alphabet` (by code point). */
  str(alphabet: string, n: number): string {
    const chars = [...alphabet];
    let s = "";
    for (let i = 0; i < n; i++) s += this.pick(chars);
    return s;
  }
}

/** The seed of a run: `RELIABILITY_SEED` or a fixed default, so failures reproduce. */
export function seedFromEnv(fallback = 8): number {
  const raw = Deno.env.get("RELIABILITY_SEED");
  return raw ? Number(raw) >>> 0 : fallback;
}

/** A size knob: env `name` (the figures script sets big ones), else `fallback`. */
export function knob(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  const n = raw ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

// Generators: exported so other fuzz tests (shell quoting) reuse them.

/** Characters that break naive parsers: space, tab, newline, quotes, `$`, unicode. */
export const NASTY_CHARS = " \t\n'\"\\$`!*?[]{}();&|<>#~=%,:@é日本語🚀\u00a0\u200b\r";
const PLAIN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-.";

/** A random path segment: never empty, `.` or `..`, never containing `/` or NUL. */
export function randomSegment(rng: Rng, maxLen = 12): string {
  for (;;) {
    const n = rng.int(1, maxLen);
    let s = "";
    for (let i = 0; i < n; i++) {
      s += rng.chance(0.3) ? rng.pick([...NASTY_CHARS]) : rng.pick([...PLAIN_CHARS]);
    }
    if (s !== "." && s !== "..") return s;
  }
}

/** A random relative path of 1–3 segments (spaces, newlines, quotes, unicode included). */
export function randomPath(rng: Rng): string {
  const n = rng.int(1, 3);
  return Array.from({ length: n }, () => randomSegment(rng)).join("/");
}

/** A random arbitrary string without NUL (for values a format must carry exactly). */
export function randomValue(rng: Rng, maxLen = 40): string {
  const n = rng.int(0, maxLen);
  let s = "";
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.5) ? rng.pick([...NASTY_CHARS]) : rng.pick([...PLAIN_CHARS]);
  }
  return s;
}

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

/** A remote URL carrying a secret in its userinfo, and the secret(s) that must not survive. */
export interface SecretUrl {
  url: string;
  secrets: string[];
}

const SECRET_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const USERINFO_EXTRA = "!$&'()*+,;=%-._~:@";

/**
 * A secret-looking token: a fixed marker plus 16 random characters (never in a host name).
 * Always mixing upper case, lower case and digits, as real tokens do: an ssh URL keeps a
 * user that looks like a login name (`git`, an all-caps key id), so only such a mix (or a
 * token prefix) tells a token in the user's place apart.
 */
export function randomSecret(rng: Rng, prefix = ""): string {
  return `${prefix}S3CRt${rng.str(SECRET_CHARS, 15)}`;
}

/** A random remote URL whose userinfo holds secrets (URL style or scp style). */
export function randomSecretUrl(rng: Rng): SecretUrl {
  const host = rng.pick(["github.com", "gitlab.example.org", "10.0.0.7", "[::1]", "h"]) +
    (rng.chance(0.3) ? `:${rng.int(1, 65535)}` : "");
  const path = rng.chance(0.9) ? `/${rng.str(PLAIN_CHARS, rng.int(1, 10))}/r.git` : "";
  const query = rng.chance(0.2) ? `?token=${randomSecret(rng)}` : "";
  const shape = rng.int(0, 5);
  const secret = randomSecret(rng, rng.pick(["", "ghp_", "glpat-", "github_pat_"]));
  // Userinfo may contain reserved characters (and even a stray '@') in broken configs.
  const mess = rng.chance(0.4) ? rng.str(USERINFO_EXTRA, rng.int(1, 4)) : "";
  let userinfo: string;
  switch (shape) {
    case 0:
      userinfo = `${rng.str(PLAIN_CHARS, 5)}:${secret}${mess}`;
      break;
    case 1:
      userinfo = `${secret}${mess}`;
      break;
    case 2:
      userinfo = `x-access-token:${secret}`;
      break;
    case 3:
      userinfo = `oauth2:${secret}${mess}`;
      break;
    case 4:
      userinfo = `${mess}${secret}:${mess}`;
      break;
    default: {
      // scp style: the token as the user name.
      const s = randomSecret(rng, "ghp_");
      return { url: `${s}@${host.replace(/:\d+$/, "")}:o/r.git`, secrets: [s] };
    }
  }
  const scheme = rng.pick(["https://", "http://", "ssh://", "git+ssh://", "ftp://"]);
  const secrets = [secret];
  if (query) secrets.push(query.slice("?token=".length));
  return { url: `${scheme}${userinfo}@${host}${path}${query}`, secrets };
}

// ---------------------------------------------------------------------------------------
// Shared checks

/** A problem report: empty means the scenario held. */
export type Failures = string[];

/** Figures of one scenario, for the Markdown table. */
export interface Figures {
  scenario: string;
  /** What was tried, in words ("64 stamps x 200 commits"). */
  tried: string;
  /** How many cases (runs, kills, inputs). */
  cases: number;
  failures: Failures;
  seconds: number;
}

/** Files named `.<id>.json.tmp-*` (atomic-write temps) in a directory. */
export async function tempFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (/\.tmp-/.test(e.name)) out.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** Every `*.json` record in `dir` that does not parse as a complete record. */
export async function badRecords(dir: string): Promise<Failures> {
  const bad: Failures = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".json") || e.name.startsWith(".")) continue;
      const text = await Deno.readTextFile(join(dir, e.name));
      try {
        const rec = parseRecord(text, e.name);
        if (`${rec.run_id}.json` !== e.name) bad.push(`${e.name}: run_id ${rec.run_id}`);
        if (!rec.git.available || !/^[0-9a-f]{40}$/.test(rec.git.sha)) {
          bad.push(`${e.name}: git.sha ${rec.git.sha} (${rec.git.reason})`);
        }
      } catch (err) {
        bad.push(`${e.name}: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return bad;
}

/** Lines of a stack trace in stderr (`    at f (file:...)`). */
export function stackLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^\s+at /.test(l));
}

/** The record directory of a sandbox. */
export function runsDir(sb: Sandbox): string {
  return join(sb.dir, ".runprov", "runs");
}

/** Time `fn`, in seconds. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

// ---------------------------------------------------------------------------------------
// Command tables: one line adds a command to a scenario.

/** A runprov invocation in a scenario: its argv for a run id. */
export interface CommandCase {
  name: string;
  argv: (runId: string) => string[];
}

/** Commands run concurrently while commits land (each writes the record of `runId`). */
export const LOAD_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/** Commands that all ranks run with the same `--run-id`. */
export const SHARED_ID_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "true"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/** Commands SIGKILLed at random moments (exec: the parent, its child sleeps briefly). */
export const KILL_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "sleep", "0.1"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/**
 * Commands that must fail cleanly (exit 2, nothing else damaged) when the record cannot be
 * written. `CANARY` in an argv is replaced by a file the command would create if it ran.
 */
export const WRITE_FAULT_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "touch", "CANARY"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/** Commands that must give up on a hung git (exit 4 strict; `sha` unknown under warn). */
export const GIT_HANG_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "true"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
];

/** Commands whose every output must be free of remote credentials. */
export const SECRET_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "show", argv: (id) => ["show", id] },
  { name: "runs", argv: () => ["runs"] },
  { name: "verify", argv: (id) => ["verify", id] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
  { name: "check", argv: () => ["check"] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "env"] },
  { name: "doctor", argv: () => ["doctor"] },
  { name: "doctor --json", argv: () => ["doctor", "--json"] },
];

/** Commands whose capture must run no program named by repository config. */
export const NO_PROGRAM_COMMANDS: CommandCase[] = [
  { name: "stamp", argv: (id) => ["stamp", "--run-id", id] },
  { name: "exec", argv: (id) => ["exec", "--run-id", id, "--", "true"] },
  { name: "doctor", argv: () => ["doctor"] },
  { name: "env", argv: (id) => ["env", "--run-id", id] },
  { name: "check", argv: () => ["check"] },
];

/** Commands fed malformed flags (clear error, exit 2, no stack trace). */
export const MALFORMED_COMMANDS: string[][] = [["stamp"], ["exec"], ["env"], ["check"]];

// ---------------------------------------------------------------------------------------
// Scenarios

/** A sandbox whose repository has one more tracked file for the commit loop. */
async function loadRepo(): Promise<Sandbox> {
  const sb = await Sandbox.create();
  await sb.write("log.txt", "0\n");
  await sb.git("add", "log.txt");
  await sb.git("commit", "-q", "-m", "log");
  return sb;
}

/**
 * `runs` concurrent runprov commands (LOAD_COMMANDS, round robin) in one checkout while a
 * loop makes `commits` commits there. Fails on any runprov or commit failure, a leftover
 * `.git/index.lock`, or a record that is not a complete document.
 */
export async function loadScenario(runs: number, commits: number): Promise<Figures> {
  const sb = await loadRepo();
  const failures: Failures = [];
  try {
    const [, seconds] = await timed(async () => {
      const committer = (async () => {
        for (let i = 1; i <= commits; i++) {
          await Deno.writeTextFile(join(sb.dir, "log.txt"), `${i}\n`, { append: true });
          const r = await run("git", ["commit", "-q", "-a", "-m", `c${i}`], {
            cwd: sb.dir,
            env: sb.env,
          });
          if (r.code !== 0) failures.push(`commit ${i}: exit ${r.code}: ${r.stderr.trim()}`);
        }
      })();
      const ranks = Array.from({ length: runs }, async (_, i) => {
        const c = LOAD_COMMANDS[i % LOAD_COMMANDS.length];
        const r = await sb.runprov(c.argv(`load-${i}`));
        if (r.code !== 0) failures.push(`${c.name} #${i}: exit ${r.code}: ${r.stderr.trim()}`);
      });
      await Promise.all([committer, ...ranks]);
    });
    const count = Number((await sb.git("rev-list", "--count", "HEAD")).trim());
    if (count !== commits + 2) failures.push(`expected ${commits + 2} commits, found ${count}`);
    try {
      await Deno.lstat(join(sb.dir, ".git", "index.lock"));
      failures.push(".git/index.lock left behind");
    } catch { /* absent: good */ }
    failures.push(...await badRecords(runsDir(sb)));
    let records = 0;
    for await (const e of Deno.readDir(runsDir(sb))) if (e.name.endsWith(".json")) records++;
    if (records !== runs) failures.push(`expected ${runs} records, found ${records}`);
    const temps = await tempFiles(runsDir(sb));
    if (temps.length) failures.push(`temp files left: ${temps.join(", ")}`);
    return {
      scenario: "load",
      tried: `${runs} concurrent ${LOAD_COMMANDS.map((c) => c.name).join("/")} while ` +
        `${commits} git commits land`,
      cases: runs + commits,
      failures,
      seconds,
    };
  } finally {
    await sb.cleanup();
  }
}

/**
 * `writers` concurrent commands (SHARED_ID_COMMANDS, round robin) with the same new run id:
 * exactly one wins (exit 0), every other is refused with exit 2 naming the id, the record is
 * one complete document and no temp file remains.
 */
export async function sharedIdScenario(writers: number): Promise<Figures> {
  const sb = await Sandbox.create();
  const failures: Failures = [];
  const won: string[] = [];
  try {
    const [, seconds] = await timed(async () => {
      await Promise.all(Array.from({ length: writers }, async (_, i) => {
        const c = SHARED_ID_COMMANDS[i % SHARED_ID_COMMANDS.length];
        const r = await sb.runprov(c.argv("shared"));
        if (r.code === 0) won.push(`${c.name} #${i}`);
        else if (r.code !== 2 || !/run shared already has a record/.test(r.stderr)) {
          failures.push(`${c.name} #${i}: exit ${r.code}: ${r.stderr.trim()}`);
        }
      }));
    });
    if (won.length !== 1) failures.push(`${won.length} writers won (${won.join(", ")}), not 1`);
    const text = await Deno.readTextFile(join(runsDir(sb), "shared.json"));
    try {
      const rec = parseRecord(text, "shared.json");
      if (rec.run_id !== "shared") failures.push(`run_id ${rec.run_id}`);
      if (!text.endsWith("}\n")) failures.push("record does not end with }\\n");
    } catch (err) {
      failures.push((err as Error).message);
    }
    failures.push(...await badRecords(runsDir(sb)));
    const temps = await tempFiles(runsDir(sb));
    if (temps.length) failures.push(`temp files left: ${temps.join(", ")}`);
    return {
      scenario: "same run id",
      tried: `${writers} concurrent writers of --run-id shared (${
        SHARED_ID_COMMANDS.map((c) => c.name).join("/")
      }): exactly one wins, the rest exit 2`,
      cases: writers,
      failures,
      seconds,
    };
  } finally {
    await sb.cleanup();
  }
}

/**
 * Wall time of an unkilled run of `c` (its lifetime, for spreading kill moments), measured
 * after a warm-up with `parallel` runs at once, as the kills will run.
 */
async function lifetimeMs(sb: Sandbox, c: CommandCase, parallel: number): Promise<number> {
  const once = async (k: number) => {
    const t0 = performance.now();
    const r = await sb.runprov(c.argv(`calibrate-${c.name}-${k}`));
    if (r.code !== 0) throw new Error(`${c.name} failed before any kill: ${r.stderr}`);
    return performance.now() - t0;
  };
  await once(0);
  const times = await Promise.all(Array.from({ length: parallel }, (_, k) => once(k + 1)));
  return times.reduce((a, b) => a + b, 0) / times.length;
}

/**
 * SIGKILL KILL_COMMANDS at seeded random moments spread over their lifetime, `kills`
 * times (`parallel` at a time). Afterwards every record that exists is complete; the
 * killed runs' temp files are then made stale (mtime 1 h ago) and one more stamp must
 * remove them.
 */
export async function killScenario(
  kills: number,
  seed: number,
  parallel = 2,
): Promise<Figures & { tempsBeforeCleanup: number; recordsWritten: number }> {
  const sb = await Sandbox.create();
  const rng = new Rng(seed);
  const failures: Failures = [];
  try {
    const life = new Map<string, number>();
    for (const c of KILL_COMMANDS) life.set(c.name, await lifetimeMs(sb, c, parallel));
    const plan = Array.from({ length: kills }, (_, i) => {
      const c = rng.pick(KILL_COMMANDS);
      // Half spread over the whole lifetime, half over its last 40% (capture and write).
      const at = rng.chance(0.5) ? rng.next() * 1.05 : 0.6 + rng.next() * 0.45;
      return { i, c, delay: at * life.get(c.name)! };
    });
    let killed = 0;
    const [, seconds] = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next < plan.length) {
          const { i, c, delay } = plan[next++];
          const child = sb.spawnRunprov(c.argv(`kill-${i}`));
          await new Promise((r) => setTimeout(r, delay));
          try {
            child.kill("SIGKILL");
          } catch { /* finished before the kill */ }
          if ((await child.output()).signal === "SIGKILL") killed++;
        }
      }));
      // Orphaned exec children (sleep 0.1) finish on their own.
      await new Promise((r) => setTimeout(r, 200));
    });
    failures.push(...await badRecords(runsDir(sb)));
    let recordsWritten = 0;
    for await (const e of Deno.readDir(runsDir(sb))) {
      if (e.name.startsWith("kill-") && e.name.endsWith(".json")) recordsWritten++;
    }
    const temps = await tempFiles(runsDir(sb));
    // A killed run leaves at most one temp file.
    if (temps.length > kills) failures.push(`${temps.length} temp files after ${kills} kills`);
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const t of temps) await Deno.utime(join(runsDir(sb), t), hourAgo, hourAgo);
    const r = await sb.runprov(["stamp", "--run-id", "after-kills"]);
    if (r.code !== 0) failures.push(`stamp after the kills: exit ${r.code}: ${r.stderr}`);
    const left = await tempFiles(runsDir(sb));
    if (left.length) failures.push(`stale temp files not cleaned: ${left.join(", ")}`);
    return {
      scenario: "SIGKILL",
      tried: `${kills} SIGKILLs at random moments (seed ${seed}) of ${
        KILL_COMMANDS.map((c) => c.name).join("/")
      }: ${killed} killed mid-run, ${recordsWritten} records written (all complete), ` +
        `${temps.length} temp files left by kills (removed once stale)`,
      cases: kills,
      failures,
      seconds,
      tempsBeforeCleanup: temps.length,
      recordsWritten,
    };
  } finally {
    await sb.cleanup();
  }
}

/** Why mounts cannot be used here (not root, mount refused), or null when they can. */
export async function mountUnavailable(): Promise<string | null> {
  if (Deno.uid() !== 0) return "not root: cannot mount a tmpfs";
  const dir = await Deno.makeTempDir({ prefix: "runprov-mnt-probe-" });
  try {
    const r = await run("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir]);
    if (r.code !== 0) return `mount -t tmpfs failed: ${r.stderr.trim()}`;
    await run("umount", [dir]);
    return null;
  } catch (err) {
    return `mount is not available: ${(err as Error).message}`;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

/** Mount a tmpfs at `dir` with `options` (e.g. `size=16k`); returns its unmount. */
export async function mountTmpfs(dir: string, options: string): Promise<() => Promise<void>> {
  await Deno.mkdir(dir, { recursive: true });
  const r = await run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  if (r.code !== 0) throw new Error(`mount tmpfs at ${dir}: ${r.stderr}`);
  return async () => {
    await run("umount", ["-l", dir]);
  };
}

/** A record file's bytes, to prove it stayed identical. */
export function bytesOf(path: string): Promise<Uint8Array> {
  return Deno.readFile(path);
}

/** Put a `git` first on PATH that sleeps `seconds`, then runs the real git. */
export async function slowGitPath(sb: Sandbox, seconds: number): Promise<string> {
  const real = (await run("sh", ["-c", "command -v git"])).stdout.trim();
  const bin = join(sb.base, "slowbin");
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    join(bin, "git"),
    `#!/bin/sh\nsleep ${seconds}\nexec ${real} "$@"\n`,
  );
  await Deno.chmod(join(bin, "git"), 0o755);
  return `${bin}:${sb.env.PATH}`;
}

/** Invalid ref-name-ish run ids (after git's t1402-check-ref-format) and runprov's rules. */
export const INVALID_RUN_IDS = [
  "",
  ".",
  "..",
  "a..b",
  "a/b",
  "/a",
  "a/",
  "a.lock",
  "a.LOCK",
  "a.",
  ".a",
  "-a",
  "_a",
  "a b",
  "a\tb",
  "a\nb",
  "a~b",
  "a^b",
  "a:b",
  "a?b",
  "a*b",
  "a[b",
  "a\\b",
  "a@{b",
  "@",
  "@{-1}",
  "a\u007fb",
  "a\u0001b",
  "refs/heads/x",
  "é",
  "x".repeat(129),
  "x".repeat(100_000),
];

/** Absurd argument lists for a capturing command (each must be exit 2, no stack). */
export function absurdArgs(cmd: string[]): string[][] {
  // One argv string can hold at most 128 KiB on Linux (MAX_ARG_STRLEN).
  const big = "n".repeat(100_000);
  return [
    ...INVALID_RUN_IDS.map((id) => [...cmd, "--run-id", id]),
    [...cmd, "--run-id"],
    [...cmd, "--run-id=a", "--run-id", "a b"],
    [...cmd, "--policy", "paranoid"],
    [...cmd, "--policy", ""],
    [...cmd, "--strict", "--policy", "off"],
    [...cmd, "--allow-dirty", ""],
    [...cmd, "--allow-dirty", "   "],
    [...cmd, "--bogus"],
    [...cmd, "--bogus=1"],
    [...cmd, "-Z"],
    [...cmd, "--name"],
    [...cmd, `--${big.slice(0, 10_000)}`],
    [...cmd, "--run-id", "ok-id", "--name", big, "--policy", big],
    ["-C"],
    ["-C", "/nonexistent/dir", ...cmd],
    ["--config"],
    ["--frobnicate", ...cmd],
    [big.slice(0, 1000)],
  ];
}

/** The Markdown table of figures. */
export function figuresTable(rows: Figures[]): string {
  const lines = [
    "| scenario | what was tried | cases | failures | seconds |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.tried.replaceAll("|", "\\|")} | ${r.cases} | ${r.failures.length} | ${
        r.seconds.toFixed(1)
      } |`,
    );
  }
  return lines.join("\n") + "\n";
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

/** Render-parse round trips of `cases` random porcelain v2 reports; failures are diffs. */
export function fuzzPorcelain(
  cases: number,
  seed: number,
  parse: (text: string) => StatusReport,
): Figures {
  const rng = new Rng(seed);
  const failures: Failures = [];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const report = randomStatusReport(rng);
    const text = renderPorcelainV2(report);
    const want = canonical(plainReport(report));
    let got: string;
    try {
      got = canonical(parse(text));
    } catch (err) {
      got = `threw ${(err as Error).message}`;
    }
    if (got !== want) {
      failures.push(`case ${i}: ${JSON.stringify(text)}\n got ${got}\nwant ${want}`);
    }
  }
  return {
    scenario: "fuzz: porcelain v2",
    tried: `${cases} random status reports (seed ${seed}) rendered -z and parsed back`,
    cases,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** `cases` random credential URLs through both redactors; failures name what leaked. */
export function fuzzRedaction(
  cases: number,
  seed: number,
  redactUrl: (url: string) => string,
  redactText: (text: string, secrets: readonly string[]) => string,
): Figures {
  const rng = new Rng(seed);
  const failures: Failures = [];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const { url, secrets } = randomSecretUrl(rng);
    const red = redactUrl(url);
    const inText = redactText(
      `fatal: unable to access '${url}': The requested URL returned 403`,
      [],
    );
    for (const s of secrets) {
      if (red.includes(s)) failures.push(`case ${i}: redactUrl(${JSON.stringify(url)}) = ${red}`);
      if (inText.includes(s)) failures.push(`case ${i}: redactText kept ${s}: ${inText}`);
    }
  }
  return {
    scenario: "fuzz: URL redaction",
    tried: `${cases} random remote URLs with credentials (seed ${seed}), URL and free text`,
    cases,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Every MALFORMED_COMMANDS entry with every {@link absurdArgs} list: exit 2, a `runprov:`
 * message under 4 KiB, no stack trace, nothing on stdout, no record written.
 */
export async function malformedScenario(
  commands: string[][] = MALFORMED_COMMANDS,
  parallel = 4,
): Promise<Figures> {
  const sb = await Sandbox.create();
  const failures: Failures = [];
  try {
    const cases = commands.flatMap((c) => absurdArgs(c));
    const [, seconds] = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next < cases.length) {
          const args = cases[next++];
          const label = JSON.stringify(args).slice(0, 120);
          const r = await sb.runprov(args);
          if (r.code !== 2) failures.push(`${label}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
          if (!/^runprov: /.test(r.stderr)) failures.push(`${label}: stderr ${r.stderr}`);
          if (stackLines(r.stderr).length) failures.push(`${label}: stack trace`);
          if (r.stderr.length > 4096) failures.push(`${label}: ${r.stderr.length} bytes of stderr`);
          if (r.stdout !== "") failures.push(`${label}: stdout ${r.stdout.slice(0, 100)}`);
        }
      }));
    });
    const records = await Array.fromAsync(Deno.readDir(runsDir(sb))).catch(() => []);
    if (records.length) failures.push(`records written: ${records.map((e) => e.name)}`);
    return {
      scenario: "malformed arguments",
      tried: `${cases.length} absurd argument lists (t1402 invalid ref names, 100 KB values, ` +
        `unknown/repeated options) to ${commands.map((c) => c.join(" ")).join(", ")}`,
      cases: cases.length,
      failures,
      seconds,
    };
  } finally {
    await sb.cleanup();
  }
}

/**
 * A random value of valid code points for the quoting fuzz: nasty ASCII, controls, C1,
 * BMP and astral characters (never NUL, U+FFFD or a surrogate, which every format refuses).
 */
export function randomCodePointValue(rng: Rng, maxLen = 24): string {
  const n = rng.int(0, maxLen);
  let s = "";
  for (let i = 0; i < n; i++) {
    const k = rng.int(0, 9);
    let cp: number;
    if (k < 3) cp = rng.pick([...NASTY_CHARS]).codePointAt(0)!;
    else if (k < 5) cp = rng.pick([...PLAIN_CHARS]).codePointAt(0)!;
    else if (k === 5) cp = rng.int(1, 0x1f);
    else if (k === 6) cp = rng.pick([0x7f, rng.int(0x80, 0x9f), 0xa0, 0xad, 0xfeff, 0xfffe]);
    else if (k === 7) cp = rng.int(0xa0, 0xffff);
    else if (k === 8) cp = rng.int(0x10000, 0x10ffff);
    else cp = rng.pick([0xf600, 0xf6ff, 0xf700, rng.int(0xe000, 0xf8ff)]);
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffd) cp = 0x78;
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** `count` distinct seeded random values of {@link randomCodePointValue}. */
export function quotingCorpus(count: number, seed: number): string[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  while (seen.size < count) seen.add(randomCodePointValue(rng));
  return [...seen];
}

/** Shell formats whose output is one line of `;`-terminated statements. */
export const SHELL_FORMATS = ["sh", "bash", "zsh", "fish", "tcsh", "pwsh"] as const;

/** What a render must not contain outside quoting, per format (glob and expansion chars). */
function unquotedRest(format: string, text: string): string {
  switch (format) {
    case "sh": // octal printf arguments; `${K%x}` is the only brace use
      return text.replace(/\$\{V\d+%x\}/g, "").replace(/\$\(printf '[^']*'\)/g, "");
    case "bash":
    case "zsh":
      return text.replace(/\$'[^']*'/g, "");
    case "fish":
      return text.replace(/'(?:[^'\\]|\\.)*'/g, "");
    case "tcsh":
      // Single quotes may hold printable ASCII except ' ! { } * ? [ \ (tcsh expands those).
      return text.replace(/"`printf '[^']*'`"/g, "").replace(/'[^'!{}*?[\\\s]*'/g, "");
    default: // pwsh assigns without globbing; its `[char]` casts are code
      return text.replace(/'(?:[^']|'')*'|"(?:[^"`]|`.)*"/g, "").replace(
        /\[char\]0x[0-9A-F]+/g,
        "",
      );
  }
}

/**
 * Pure properties of `cases` random values through every shell format: the render is one
 * line, each variable one `;`-terminated statement, no raw control character, and no glob
 * or expansion character outside the format's quoting. Values a format refuses must be
 * exactly those it documents (tcsh: CR/LF).
 */
export function fuzzQuoting(
  cases: number,
  seed: number,
  render: (format: string, vars: [string, string][]) => string,
): Figures {
  const rng = new Rng(seed);
  const failures: Failures = [];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const vars: [string, string][] = Array.from(
      { length: rng.int(1, 3) },
      (_, k) => [`V${k}`, randomCodePointValue(rng)],
    );
    for (const format of SHELL_FORMATS) {
      const label = `case ${i} ${format} ${JSON.stringify(vars)}`;
      let text: string;
      try {
        text = render(format, vars);
      } catch (err) {
        const allowed = format === "tcsh" && vars.some(([, v]) => /[\r\n]/.test(v));
        if (!allowed) failures.push(`${label}: refused: ${(err as Error).message}`);
        continue;
      }
      if (!text.endsWith(";\n") || text.indexOf("\n") !== text.length - 1) {
        failures.push(`${label}: not one ;-terminated line: ${JSON.stringify(text)}`);
      }
      // C0 never appears raw; fish and pwsh keep C1 characters raw inside quotes.
      const line = text.slice(0, -1);
      // deno-lint-ignore no-control-regex
      const c0 = /[\u0000-\u001f\u007f]/.test(line);
      const c1 = /[\u0080-\u009f]/.test(line);
      if (c0 || c1 && format !== "fish" && format !== "pwsh") {
        failures.push(`${label}: raw control character: ${JSON.stringify(text)}`);
      }
      const starts: Record<string, (n: string) => string> = {
        sh: (n) => `export ${n};`,
        bash: (n) => `export ${n}=`,
        zsh: (n) => `export ${n}=`,
        fish: (n) => `set -gx ${n} `,
        tcsh: (n) => `setenv ${n} `,
        pwsh: (n) => `$env:${n}=`,
      };
      for (const [n] of vars) {
        if (text.split(starts[format](n)).length !== 2) {
          failures.push(`${label}: not exactly one statement for ${n}: ${text}`);
        }
      }
      const rest = unquotedRest(format, text).replaceAll("=''", "=");
      const bad = format === "pwsh" ? /[`$](?!env:V\d+=)/ : /[*?[\]{}~$`"'|&<>()#]/;
      const restNoNames = format === "pwsh" ? rest.replace(/\$env:V\d+=/g, "") : rest;
      if (bad.test(restNoNames) || /[^\x20-\x7e\n]/.test(rest)) {
        failures.push(`${label}: unquoted special character in ${JSON.stringify(rest)}`);
      }
    }
  }
  return {
    scenario: "fuzz: shell quoting (pure)",
    tried: `${cases} random sets of valid code points (seed ${seed}) rendered in ` +
      `${SHELL_FORMATS.join("/")}: one ;-terminated line, nothing special unquoted`,
    cases,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** One shell matrix case per shell, each in its riskiest mode, for the quoting fuzz. */
export const QUOTING_SHELL_CASES: Case[] = [
  "dash --format sh: eval $(…)",
  'bash --format bash (failglob): eval "$(…)"',
  "zsh --format sh (emulate sh): eval $(…)",
  "busybox --format sh: eval $(…)",
  "fish: runprov env --format fish | source",
  'tcsh: eval "`runprov env --format tcsh`"',
].map((name) => {
  const c = SHELL_CASES.find((c) => c.name === name);
  if (!c) throw new Error(`no shell matrix case ${name}`);
  return c;
});

/**
 * Values per shell case: RELIABILITY_SHELL_VALUES (2000) where the format needs no
 * process per value (bash `$'…'`, fish), a tenth of it where each value is a
 * `$(printf …)` or backquote fork (sh, tcsh), unless RELIABILITY_SHELL_VALUES_FORKING is set.
 */
export function shellValues(c: Case): number {
  const n = knob("RELIABILITY_SHELL_VALUES", 2000);
  if (c.format === "bash" || c.format === "fish") return n;
  return knob("RELIABILITY_SHELL_VALUES_FORKING", Math.max(1, Math.floor(n / 10)));
}

/** QUOTING_SHELL_CASES through the real shells with seeded random values. */
export async function quotingShellScenario(seed: number): Promise<Figures> {
  const failures: Failures = [];
  const t0 = performance.now();
  const tried: string[] = [];
  let cases = 0;
  for (const c of QUOTING_SHELL_CASES) {
    const path = which(c.shell);
    if (path === null) {
      failures.push(`${c.shell} is not installed`);
      continue;
    }
    const n = shellValues(c);
    cases += n;
    tried.push(`${n} ${c.name}`);
    try {
      await checkCase(c, path, quotingCorpus(n, seed));
    } catch (err) {
      failures.push(`${c.name}: ${(err as Error).message}`);
    }
  }
  return {
    scenario: "fuzz: shell quoting (real shells)",
    tried: `random values of valid code points (seed ${seed}) evaluated, each shell once for ` +
      `all its values, in a booby-trapped directory: ${tried.join("; ")}`,
    cases,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Put a `git` first on PATH that logs each argv (one line, NUL-free) to `log`. */
export async function countingGitPath(sb: Sandbox, log: string): Promise<string> {
  const real = (await run("sh", ["-c", "command -v git"])).stdout.trim();
  const bin = join(sb.base, "countbin");
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    join(bin, "git"),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec ${real} "$@"\n`,
  );
  await Deno.chmod(join(bin, "git"), 0o755);
  return `${bin}:${sb.env.PATH}`;
}

/**
 * `tags` run tags (made at once with `git fast-import`, messages as `runprov tag` writes
 * them) and `records` local records (written directly from a stamped template), `overlap`
 * runs having both; then `runprov runs --json` must list every run once, newest first,
 * a run with both showing the record's facts and the tag, from one `git for-each-ref`.
 */
export async function runsScaleScenario(tags: number, records: number): Promise<Figures> {
  const sb = await Sandbox.create();
  const failures: Failures = [];
  try {
    const overlap = Math.min(records, tags, Math.ceil(records / 2));
    const made = await sb.runprov(["stamp", "--run-id", "template"]);
    if (made.code !== 0) throw new Error(`stamp: ${made.stderr}`);
    const tagged = await sb.runprov(["tag", "--run", "template"]);
    if (tagged.code !== 0) throw new Error(`tag: ${tagged.stderr}`);
    const raw = await sb.git("cat-file", "tag", "refs/tags/run/template");
    const message = raw.slice(raw.indexOf("\n\n") + 2);
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    const template = JSON.parse(await Deno.readTextFile(join(runsDir(sb), "template.json")));
    await Deno.remove(join(runsDir(sb), "template.json"));
    await sb.git("tag", "-d", "run/template");

    // Dates: tag i at base + 2i seconds, record j at base + 2j + 1 (interleaved, distinct).
    const base = 1_700_000_000;
    const enc = new TextEncoder();
    const chunks: string[] = [];
    for (let i = 0; i < tags; i++) {
      const id = `t-${String(i).padStart(6, "0")}`;
      const msg = message.replaceAll("template", id);
      chunks.push(
        `tag run/${id}\nfrom ${head}\ntagger runprov <r@p.invalid> ${base + 2 * i} +0000\n` +
          `data ${enc.encode(msg).length}\n${msg}\n`,
      );
    }
    const [, seconds] = await timed(async () => {
      const fi = new Deno.Command("git", {
        args: ["fast-import", "--quiet"],
        cwd: sb.dir,
        env: sb.env,
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const w = fi.stdin.getWriter();
      await w.write(enc.encode(chunks.join("")));
      await w.close();
      const out = await fi.output();
      if (out.code !== 0) throw new Error(`fast-import: ${new TextDecoder().decode(out.stderr)}`);
      for (let j = 0; j < records; j++) {
        // The first `overlap` records share their id with a tag.
        const id = j < overlap
          ? `t-${String(j).padStart(6, "0")}`
          : `r-${String(j).padStart(6, "0")}`;
        const at = j < overlap ? base + 2 * j + 1 : base + 2 * (tags + j) + 1;
        const rec = {
          ...template,
          run_id: id,
          name: `rec ${j}`,
          created_at: new Date(at * 1000).toISOString(),
        };
        await Deno.writeTextFile(
          join(runsDir(sb), `${id}.json`),
          JSON.stringify(rec, null, 2) + "\n",
        );
      }
    });
    const log = join(sb.base, "git.log");
    const env = { PATH: await countingGitPath(sb, log) };
    const t0 = performance.now();
    const r = await sb.runprov(["runs", "--json"], { env });
    const runsSeconds = (performance.now() - t0) / 1000;
    if (r.code !== 0) failures.push(`runs: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
    const calls = (await Deno.readTextFile(log).catch(() => "")).split("\n").filter(Boolean);
    const listing = calls.filter((c) => /\bfor-each-ref\b/.test(c));
    if (listing.length !== 1) failures.push(`${listing.length} for-each-ref calls: ${listing}`);
    const entries = r.code === 0 ? JSON.parse(r.stdout) as Record<string, unknown>[] : [];
    const want = tags + records - overlap;
    if (entries.length !== want) failures.push(`${entries.length} runs listed, want ${want}`);
    for (let k = 1; k < entries.length; k++) {
      if (String(entries[k - 1].date) < String(entries[k].date)) {
        failures.push(`not newest first at ${k}: ${entries[k - 1].id} before ${entries[k].id}`);
        break;
      }
    }
    const ids = new Set(entries.map((e) => e.id));
    if (ids.size !== entries.length) failures.push(`${entries.length - ids.size} duplicate ids`);
    let merged = 0;
    for (const e of entries) {
      const both = /^t-/.test(String(e.id)) && Number(String(e.id).slice(2)) < overlap;
      if (both) {
        merged++;
        if (e.tag !== `run/${e.id}` || e.record === null || !/^rec /.test(String(e.name))) {
          failures.push(`${e.id}: not merged: ${JSON.stringify(e)}`);
        }
      } else if (/^t-/.test(String(e.id))) {
        if (e.status !== "tagged" || e.record !== null || e.sha !== head) {
          failures.push(`${e.id}: tag-only entry wrong: ${JSON.stringify(e)}`);
        }
      } else if (e.tag !== null || e.record === null) {
        failures.push(`${e.id}: record-only entry wrong: ${JSON.stringify(e)}`);
      }
      if (failures.length > 20) break;
    }
    if (merged !== overlap) failures.push(`${merged} merged runs, want ${overlap}`);
    return {
      scenario: "runs at scale",
      tried: `${tags} run tags (git fast-import) + ${records} records (${overlap} runs with ` +
        `both): runs --json lists ${entries.length}, newest first, merged, with ` +
        `${listing.length} for-each-ref of ${calls.length} git processes in ` +
        `${runsSeconds.toFixed(1)} s`,
      cases: tags + records,
      failures,
      seconds: seconds + runsSeconds,
    };
  } finally {
    await sb.cleanup();
  }
}

/** Files named `*.lock` under `dir` (recursively), relative to it. */
async function lockFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const rel = prefix + e.name;
      if (e.isDirectory) out.push(...await lockFiles(join(dir, e.name), rel + "/"));
      else if (e.name.endsWith(".lock")) out.push(rel);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

/**
 * SIGKILL `runprov tag --run ID` at seeded random moments, `kills` times: half the time
 * runprov alone, half its whole process group with git (as a scheduler does). Afterwards
 * `git fsck` is clean, every `run/*` tag is a complete annotated tag on the recorded
 * commit, no ref lock is left, and rerunning `tag` succeeds for every killed run.
 */
export async function tagKillScenario(kills: number, seed: number, parallel = 2): Promise<Figures> {
  const sb = await Sandbox.create();
  const rng = new Rng(seed);
  const failures: Failures = [];
  try {
    const made = await sb.runprov(["stamp", "--run-id", "template"]);
    if (made.code !== 0) throw new Error(`stamp: ${made.stderr}`);
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    const template = JSON.parse(await Deno.readTextFile(join(runsDir(sb), "template.json")));
    for (let i = 0; i < kills; i++) {
      const rec = { ...template, run_id: `tk-${i}` };
      await Deno.writeTextFile(
        join(runsDir(sb), `tk-${i}.json`),
        JSON.stringify(rec, null, 2) + "\n",
      );
    }
    const setsid = which("setsid");
    const spawn = (id: string) => {
      if (!setsid) return sb.spawnRunprov(["tag", "--run", id]);
      // A new session: the process group is runprov and its git children.
      return new Deno.Command(setsid, {
        args: [...runprovArgv(), "tag", "--run", id],
        cwd: sb.dir,
        env: sb.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    };
    // Calibrate: the lifetime of an unkilled tag.
    const t0 = performance.now();
    const cal = await sb.runprov(["tag", "--run", "template"]);
    if (cal.code !== 0) throw new Error(`tag: ${cal.stderr}`);
    const life = performance.now() - t0;
    let killed = 0, groups = 0;
    const groupKilled = new Set<string>();
    const [, seconds] = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next < kills) {
          const i = next++;
          const group = setsid !== null && rng.chance(0.5);
          const child = spawn(`tk-${i}`);
          // Two at once run slower than the lone calibration run: spread up to 1.6 lifetimes.
          const at = rng.chance(0.5) ? rng.next() * 1.6 : 0.7 + rng.next() * 0.9;
          await new Promise((r) => setTimeout(r, at * life));
          try {
            if (group) {
              Deno.kill(-child.pid, "SIGKILL");
              groups++;
              groupKilled.add(`tk-${i}`);
            } else child.kill("SIGKILL");
          } catch { /* finished before the kill */ }
          if ((await child.output()).signal === "SIGKILL") killed++;
        }
      }));
      // Orphaned git children (runprov killed alone) finish on their own.
      await new Promise((r) => setTimeout(r, 300));
    });
    const fsck = await run("git", ["fsck", "--no-dangling", "--no-progress"], {
      cwd: sb.dir,
      env: sb.env,
    });
    if (fsck.code !== 0 || /error|missing|broken/i.test(fsck.stdout + fsck.stderr)) {
      failures.push(`git fsck: exit ${fsck.code}: ${(fsck.stdout + fsck.stderr).slice(0, 500)}`);
    }
    const refs = (await sb.git(
      "for-each-ref",
      "--format=%(refname) %(objecttype) %(*objectname) %(contents:subject)",
      "refs/tags/run/",
    )).split("\n").filter(Boolean);
    let before = 0;
    for (const line of refs) {
      const [ref, type, peeled] = line.split(" ");
      if (!ref.startsWith("refs/tags/run/tk-")) continue;
      before++;
      if (type !== "tag" || peeled !== head) failures.push(`half-made tag: ${line}`);
    }
    // A git SIGKILLed inside its ref transaction leaves its lock (nothing can remove it as
    // it dies; plain `git tag` then fails too). That is only acceptable when the kill hit git
    // itself; runprov must then say so and how to remove it, and a rerun after doing what it
    // says must succeed.
    const locks = await lockFiles(join(sb.dir, ".git", "refs"));
    const lockedIds = new Set<string>();
    for (const lock of locks) {
      const id = /tags\/run\/(tk-\d+)\.lock$/.exec(lock)?.[1];
      if (id && groupKilled.has(id)) lockedIds.add(id);
      else failures.push(`ref lock left without git being killed: ${lock}`);
    }
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < kills) {
        const id = `tk-${next++}`;
        let r = await sb.runprov(["tag", "--run", id]);
        if (lockedIds.has(id)) {
          const hint = /rm "\$\(git rev-parse --git-path (\S+)\)"/.exec(r.stderr);
          if (r.code !== 5 || !hint) {
            failures.push(`tag ${id} over a stale lock: exit ${r.code}: ${r.stderr.trim()}`);
            continue;
          }
          await Deno.remove(join(sb.dir, ".git", hint[1]));
          r = await sb.runprov(["tag", "--run", id]);
        }
        if (r.code !== 0) failures.push(`rerun tag ${id}: exit ${r.code}: ${r.stderr.trim()}`);
      }
    }));
    const after =
      (await sb.git("for-each-ref", "--format=%(objecttype) %(*objectname)", "refs/tags/run/"))
        .split("\n").filter((l) => l === `tag ${head}`).length;
    if (after !== kills + 1) {
      failures.push(`${after} complete run tags after reruns, want ${kills + 1}`);
    }
    return {
      scenario: "SIGKILL tag",
      tried: `${kills} SIGKILLs of tag --run at random moments (seed ${seed}; ${groups} of the ` +
        `whole process group with git): ${killed} killed mid-run, ${before} tags made (all ` +
        `complete, annotated, on the recorded commit), git fsck clean, ${lockedIds.size} ref ` +
        `locks left by killed git (runprov names each and how to remove it), every rerun exit 0`,
      cases: kills,
      failures,
      seconds,
    };
  } finally {
    await sb.cleanup();
  }
}
