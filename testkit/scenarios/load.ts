/**
 * Load scenarios: many runprov processes capturing in one shared checkout while commits
 * land, and many writers of one run id. Each returns its figures; failures empty means it
 * held.
 */
import { join } from "node:path";
import { run, Sandbox } from "../sandbox.ts";
import { type Failures, type Figures, timed } from "../figures.ts";
import { badRecords, recordProblem, runsDir, tempFiles } from "../records.ts";
import { LOAD_COMMANDS, SHARED_ID_COMMANDS } from "../commands.ts";

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
    const text = await Deno.readTextFile(join(runsDir(sb), "shared.json")).catch(() => "");
    const problem = recordProblem("shared.json", text);
    if (problem) failures.push(problem);
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
