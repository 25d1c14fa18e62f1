/**
 * Structural guards of runprov's start-up and git budget (no timings): what the capture
 * path loads, read from Deno's own module graph and syntax tree (never from source text, which
 * a comment would satisfy), and how many git processes and working-tree scans each command
 * costs, counted by a logging git on PATH.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { COMMANDS } from "../lib/cli/cli.ts";
import { ROOT, run, type Sandbox, withSandbox } from "./helpers.ts";
import { fakeGit } from "../testkit/fake_git.ts";
import { callsTo, moduleGraph, staticClosure } from "./source.ts";

Deno.test("perf: every command's module loads on demand (lazy dispatch keeps them all)", async () => {
  for (const [name, c] of Object.entries(COMMANDS)) {
    assertEquals(typeof (await c.load()), "function", name);
  }
});

Deno.test("perf: the lazily loaded modules are still in the module graph deno compile embeds", async () => {
  const graph = await moduleGraph(["main.ts"]);
  const specs = [...graph.keys()];
  for (
    const name of ["env", "stamp", "exec", "check", "config", "doctor", "runs", "tag", "verify"]
  ) {
    assert(specs.some((s) => s.endsWith(`/lib/commands/${name}.ts`)), name);
  }
  assert(specs.some((s) => s.endsWith("/lib/tag/tag_run.ts")), "tag_run.ts");
  assert(specs.some((s) => s.endsWith("/lib/environment/capture.ts")), "environment/capture.ts");
  assert(specs.some((s) => s.includes("jsonc-parser")), "jsonc-parser");
});

Deno.test("perf: env, stamp and env --from load no node: module and no npm package at start-up", async () => {
  const entries = [
    "main.ts",
    "lib/commands/env.ts",
    "lib/commands/stamp.ts",
    "lib/commands/check.ts",
    "lib/commands/exec.ts",
    // loaded on demand by every capture (session.ts imports it dynamically)
    "lib/environment/capture.ts",
  ];
  const graph = await moduleGraph(entries);
  const loaded = staticClosure(graph, entries.map((e) => pathToFileURL(join(ROOT, e)).href));
  assert(loaded.size > 10, `walked ${loaded.size} modules`);
  const heavy = [...loaded].filter((s) => !s.startsWith("file:"));
  assertEquals(heavy, [], "loaded at start-up, without a dynamic import");
  // In Deno 2 the first setTimeout loads the Node timers; git's deadline uses AbortSignal.
  for (const url of [...loaded].filter((u) => /\.[jt]sx?$/.test(u))) {
    const timers = callsTo(url, await Deno.readTextFile(new URL(url)), "setTimeout");
    assertEquals(timers, [], `${url} calls setTimeout`);
  }
  // jsonc-parser loads only for a config file: config.ts imports it dynamically.
  const config = graph.get(pathToFileURL(join(ROOT, "lib/config/config.ts")).href)!;
  const jsonc = config.filter((d) => d.specifier.includes("jsonc-parser"));
  assert(jsonc.length > 0 && jsonc.every((d) => d.dynamic), JSON.stringify(jsonc));
});

Deno.test("perf: runs and show do not load the capture (lib/run/capture.ts) at start-up", async () => {
  // `runs` dispatches to runs_remote.ts, which goes on to runs.ts (where `show` also lives).
  const entries = ["main.ts", "lib/commands/runs_remote.ts", "lib/commands/runs.ts"];
  const graph = await moduleGraph(entries);
  const loaded = staticClosure(graph, entries.map((e) => pathToFileURL(join(ROOT, e)).href));
  assert(loaded.has(pathToFileURL(join(ROOT, "lib/tag/tag_run.ts")).href), "walked tag_run.ts");
  for (const heavy of ["lib/run/capture.ts", "lib/run/session.ts"]) {
    assert(!loaded.has(pathToFileURL(join(ROOT, heavy)).href), `runs/show load ${heavy}`);
  }
});

Deno.test("perf: environment capture starts no process (no Deno.Command, no git, no python)", async () => {
  const url = (p: string) => pathToFileURL(join(ROOT, p)).href;
  const graph = await moduleGraph(["lib/run/session.ts", "lib/environment/capture.ts"]);
  const session = graph.get(url("lib/run/session.ts"))!;
  assert(
    session.some((d) => d.dynamic && d.specifier === url("lib/environment/capture.ts")),
    "session.ts loads the environment capture on demand",
  );
  for (const mod of staticClosure(graph, [url("lib/environment/capture.ts")])) {
    if (!mod.startsWith("file:")) continue;
    assert(!mod.endsWith("/lib/git/runner.ts"), `${mod}: environment capture must not reach git`);
    const code = (await Deno.readTextFile(new URL(mod)))
      .replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    assert(!/Deno\.(Command|run)\b|\bspawn\(/.test(code), `${mod} can start a process`);
  }
});

async function calls(sb: Sandbox, args: string[]): Promise<string[]> {
  const git = await fakeGit(sb.base);
  const r = await sb.runprov(args, { env: { PATH: git.path(sb.env.PATH) } });
  assertEquals(r.code, 0, r.stderr);
  return await git.calls();
}

const scans = (lines: string[]) => lines.filter((l) => / status /.test(` ${l} `));

Deno.test("perf: env and stamp cost at most 4 git processes and one tree scan (remote, upstream, tag)", async () => {
  await withSandbox(async (sb) => {
    const remote = join(sb.base, "remote.git");
    await run("git", ["init", "-q", "--bare", remote], { env: sb.env });
    await sb.git("remote", "add", "origin", remote);
    await sb.git("push", "-q", "-u", "origin", "main");
    await sb.git("tag", "v1.0");
    for (const args of [["env"], ["env", "--no-record"], ["stamp"], ["stamp", "--out", "-"]]) {
      const lines = await calls(sb, args);
      assert(
        lines.length <= 4,
        `${args.join(" ")}: ${lines.length} git processes\n${lines.join("\n")}`,
      );
      assertEquals(scans(lines).length, 1, args.join(" "));
      assert(!lines.some((l) => / (diff|diff-index|diff-files|ls-files) /.test(` ${l} `)));
    }
    // Ahead of the upstream: one more (for-each-ref --contains), still one scan.
    await sb.git("commit", "-q", "--allow-empty", "-m", "ahead");
    const ahead = await calls(sb, ["env", "--no-record"]);
    assertEquals(ahead.length, 5, ahead.join("\n"));
    assertEquals(scans(ahead).length, 1);
  });
});

Deno.test("perf: a dirty run's patch costs one more git process (diff-index), nothing else", async () => {
  await withSandbox(async (sb) => {
    await sb.write("src/a.py", "a = 1\n");
    await sb.write("src/b.py", "b = 1\n");
    await sb.git("add", ".");
    await sb.git("commit", "-q", "-m", "two files");
    await sb.write("src/a.py", "a = 2\n");
    await sb.git("mv", "src/b.py", "src/c.py");
    const lines = await calls(sb, ["stamp", "--run-id", "d1"]);
    assertEquals(scans(lines).length, 1);
    assertEquals(lines.filter((l) => l.includes(" diff-index ")).length, 1, lines.join("\n"));
    // locate, status, config, rev-parse --short (no tag to describe from), diff-index.
    assertEquals(lines.length, 5, lines.join("\n"));
    const patch = await Deno.readTextFile(join(sb.dir, ".runprov", "runs", "d1.patch"));
    const whole = await sb.git("diff-index", "-p", "--binary", "--full-index", "HEAD", "--");
    assertEquals(patch, whole);
  });
});

Deno.test("perf: env --from FILE runs no git at all", async () => {
  await withSandbox(async (sb) => {
    const rec = await sb.runprov(["stamp", "--run-id", "f1"]);
    assertEquals(rec.code, 0, rec.stderr);
    const lines = await calls(sb, ["env", "--from", join(sb.dir, ".runprov", "runs", "f1.json")]);
    assertEquals(lines, []);
  });
});
