/**
 * SIGKILL scenarios: runprov (alone, or with its git children as a scheduler kills a job)
 * killed at seeded random moments of its lifetime. Each run leads a process group of its
 * own, so the scenario waits for exactly the processes a kill orphaned instead of sleeping.
 * A scenario fails when fewer than {@link MIN_MID_RUN} of its kills landed before the run
 * ended: kills that miss prove nothing.
 */
import { join } from "node:path";
import { run, Sandbox } from "../sandbox.ts";
import { Rng } from "../rng.ts";
import { type Failures, type Figures, timed } from "../figures.ts";
import { badRecords, lockFiles, runsDir, tempFiles } from "../records.ts";
import { KILL_COMMANDS } from "../commands.ts";
import { waitForGroupExit } from "../processes.ts";

/**
 * The share of kills that must land while runprov still runs. Kill moments are spread over
 * the lifetime measured under the same load and re-measured as the scenario goes (half
 * anywhere, half in its last 40%), so most land mid-run: 65-93% of 40 kills and 77-93% of 30
 * tag kills over six seeds each on a shared 2-core machine at load 11-13. Fewer than half
 * means the timing is broken and the scenario proves little.
 */
export const MIN_MID_RUN = 0.5;

/** How long an orphaned process may take to exit before the scenario calls it stuck. */
const ORPHAN_EXIT_MS = 15_000;

/**
 * Every how many kills one more run is left alone to re-measure the lifetime (a run the kill
 * missed is measured too: it ended unkilled).
 */
const SAMPLE_EVERY = 6;

/** The median of the last few wall times of unkilled runs of one command. */
class Lifetime {
  #samples: number[] = [];
  add(ms: number): void {
    this.#samples.push(ms);
    if (this.#samples.length > 5) this.#samples.shift();
  }
  get ms(): number {
    const s = [...this.#samples].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }
}

/** A kill moment as a fraction of the lifetime: half anywhere, half in the last 40%. */
function killFraction(rng: Rng): number {
  return rng.chance(0.5) ? rng.next() : 0.6 + 0.4 * rng.next();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How one spawned run ended. */
interface Outcome {
  /** SIGKILLed before it finished. */
  killed: boolean;
  /** Wall time from spawn to exit, ms. */
  ms: number;
  /** Processes of its group still alive ORPHAN_EXIT_MS after it ended. */
  stuck: number[];
}

/**
 * Spawn runprov `args` leading its own process group; after `killAfterMs` (unless it
 * finished first) SIGKILL it (`group`: the whole group), then wait for the group to empty.
 */
async function runAndKill(
  sb: Sandbox,
  args: string[],
  killAfterMs: number | null,
  group = false,
): Promise<Outcome> {
  const t0 = performance.now();
  const child = sb.spawnRunprov(args, { group: true });
  const output = child.output();
  let finished = false;
  const done = output.then(() => {
    finished = true;
  });
  if (killAfterMs !== null) {
    await Promise.race([done, sleep(killAfterMs)]);
    if (!finished) {
      try {
        if (group) Deno.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch { /* it exited in between */ }
    }
  }
  const out = await output;
  const ms = performance.now() - t0;
  // A run that ended by itself waited for its children; a killed one may leave orphans.
  const killed = out.signal === "SIGKILL";
  const stuck = killed ? await waitForGroupExit(child.pid, ORPHAN_EXIT_MS) : [];
  if (killAfterMs === null && !out.success) {
    throw new Error(
      `runprov ${args.join(" ")} failed before any kill: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return { killed, ms, stuck };
}

/** Measure an unkilled run's lifetime: a warm-up, then `parallel` at once, as the kills run. */
async function calibrate(
  sb: Sandbox,
  argv: (k: number) => string[],
  parallel: number,
): Promise<Lifetime> {
  const life = new Lifetime();
  await runAndKill(sb, argv(0), null);
  const times = await Promise.all(
    Array.from({ length: parallel }, (_, k) => runAndKill(sb, argv(k + 1), null)),
  );
  for (const t of times) life.add(t.ms);
  return life;
}

/** The failure when too few kills landed mid-run, else nothing. */
function midRunFailure(killed: number, kills: number): Failures {
  if (killed >= Math.ceil(MIN_MID_RUN * kills)) return [];
  return [
    `only ${killed} of ${kills} kills landed mid-run (want at least ${
      Math.round(MIN_MID_RUN * 100)
    }%): the kill moments missed the runs`,
  ];
}

/**
 * SIGKILL KILL_COMMANDS at seeded random moments of their lifetime, `kills` times
 * (`parallel` at a time). Afterwards every record that exists is complete; the killed runs'
 * temp files are then made stale (mtime 1 h ago) and one more stamp must remove them.
 */
export async function killScenario(
  kills: number,
  seed: number,
  parallel = 2,
): Promise<Figures & { killed: number; tempsBeforeCleanup: number; recordsWritten: number }> {
  const sb = await Sandbox.create();
  const rng = new Rng(seed);
  const failures: Failures = [];
  try {
    const life = new Map<string, Lifetime>();
    for (const c of KILL_COMMANDS) {
      life.set(c.name, await calibrate(sb, (k) => c.argv(`calibrate-${c.name}-${k}`), parallel));
    }
    const plan = Array.from({ length: kills }, (_, i) => ({
      i,
      c: rng.pick(KILL_COMMANDS),
      at: killFraction(rng),
    }));
    let killed = 0;
    const [, seconds] = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next < plan.length) {
          const { i, c, at } = plan[next++];
          const lifetime = life.get(c.name)!;
          if (i % SAMPLE_EVERY === SAMPLE_EVERY - 1) {
            lifetime.add((await runAndKill(sb, c.argv(`sample-${i}`), null)).ms);
          }
          const o = await runAndKill(sb, c.argv(`kill-${i}`), at * lifetime.ms);
          if (o.killed) killed++;
          else lifetime.add(o.ms);
          if (o.stuck.length) failures.push(`${c.name} kill-${i}: still running: ${o.stuck}`);
        }
      }));
    });
    failures.push(...midRunFailure(killed, kills));
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
      killed,
      tempsBeforeCleanup: temps.length,
      recordsWritten,
    };
  } finally {
    await sb.cleanup();
  }
}

/** A copy of the stamped `template` record under each id, so `tag --run ID` has its record. */
async function writeRecords(sb: Sandbox, template: unknown, ids: string[]): Promise<void> {
  for (const id of ids) {
    const rec = { ...template as Record<string, unknown>, run_id: id };
    await Deno.writeTextFile(join(runsDir(sb), `${id}.json`), JSON.stringify(rec, null, 2) + "\n");
  }
}

/**
 * SIGKILL `runprov tag --run ID` at seeded random moments, `kills` times: half the time
 * runprov alone (its git finishes on its own), half its whole process group with git (as a
 * scheduler does). Afterwards `git fsck` is clean, every `run/*` tag is a complete annotated
 * tag on the recorded commit, a ref lock is left only where git itself was killed (and
 * runprov names it and how to remove it), and rerunning `tag` succeeds for every killed run.
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
    const ids = Array.from({ length: kills }, (_, i) => `tk-${i}`);
    const samples = Array.from({ length: kills + parallel + 1 }, (_, i) => `sample-${i}`);
    await writeRecords(sb, template, [...ids, ...samples]);
    const tag = (id: string) => ["tag", "--run", id];
    const lifetime = await calibrate(sb, (k) => tag(samples[k]), parallel);
    let sampled = parallel + 1;
    let killed = 0, groups = 0;
    const groupKilled = new Set<string>();
    const [, seconds] = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next < kills) {
          const i = next++;
          const group = rng.chance(0.5);
          const at = killFraction(rng);
          if (i % SAMPLE_EVERY === SAMPLE_EVERY - 1) {
            lifetime.add((await runAndKill(sb, tag(samples[sampled++]), null)).ms);
          }
          const o = await runAndKill(sb, tag(ids[i]), at * lifetime.ms, group);
          if (o.killed) killed++;
          else lifetime.add(o.ms);
          if (o.killed && group) {
            groups++;
            groupKilled.add(ids[i]);
          }
          if (o.stuck.length) failures.push(`tag ${ids[i]}: still running: ${o.stuck}`);
        }
      }));
    });
    failures.push(...midRunFailure(killed, kills));
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
    // says must succeed. Every orphaned git has exited by now (each group was waited for).
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
        const id = ids[next++];
        let r = await sb.runprov(tag(id));
        if (lockedIds.has(id)) {
          const hint = /rm "\$\(git rev-parse --git-path (\S+)\)"/.exec(r.stderr);
          if (r.code !== 5 || !hint) {
            failures.push(`tag ${id} over a stale lock: exit ${r.code}: ${r.stderr.trim()}`);
            continue;
          }
          await Deno.remove(join(sb.dir, ".git", hint[1]));
          r = await sb.runprov(tag(id));
        }
        if (r.code !== 0) failures.push(`rerun tag ${id}: exit ${r.code}: ${r.stderr.trim()}`);
      }
    }));
    const after = (await sb.git(
      "for-each-ref",
      "--format=%(refname) %(objecttype) %(*objectname)",
      "refs/tags/run/tk-*",
    )).split("\n").filter((l) => l.endsWith(` tag ${head}`)).length;
    if (after !== kills) failures.push(`${after} complete run tags after reruns, want ${kills}`);
    return {
      scenario: "SIGKILL tag",
      tried: `${kills} SIGKILLs of tag --run at random moments (seed ${seed}): ${killed} ` +
        `killed mid-run (${groups} with the whole process group and its git), ${before} tags ` +
        `made (all complete, annotated, on the recorded commit), git fsck clean, ` +
        `${lockedIds.size} ref locks left by killed git (runprov names each and how to ` +
        `remove it), every rerun exit 0`,
      cases: kills,
      failures,
      seconds,
    };
  } finally {
    await sb.cleanup();
  }
}
