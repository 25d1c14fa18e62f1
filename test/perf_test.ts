/**
 * Structural guards of runprov's start-up and git budget (no timings): what the capture
 * path loads, and how many git processes and working-tree scans each command costs.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMANDS } from "../lib/cli/cli.ts";
import { ROOT, run, Sandbox, withSandbox } from "./helpers.ts";

Deno.test("perf: every command's module loads on demand (lazy dispatch keeps them all)", async () => {
  for (const [name, c] of Object.entries(COMMANDS)) {
    assertEquals(typeof (await c.load()), "function", name);
  }
});

Deno.test("perf: the lazily loaded modules are still in the module graph deno compile embeds", async () => {
  const r = await run(Deno.execPath(), ["info", "--json", join(ROOT, "main.ts")], {
    cwd: ROOT,
    env: { ...Deno.env.toObject(), NO_COLOR: "1" },
  });
  assertEquals(r.code, 0, r.stderr);
  const specs: string[] = JSON.parse(r.stdout).modules.map((m: { specifier: string }) =>
    m.specifier
  );
  for (
    const name of ["env", "stamp", "exec", "check", "config", "doctor", "runs", "tag", "verify"]
  ) {
    assert(specs.some((s) => s.endsWith(`/lib/commands/${name}.ts`)), name);
  }
  assert(specs.some((s) => s.endsWith("/lib/tag/tag_run.ts")), "tag_run.ts");
  assert(specs.some((s) => s.endsWith("/lib/environment/capture.ts")), "environment/capture.ts");
  assert(specs.some((s) => s.includes("jsonc-parser")), "jsonc-parser");
});

/** The static import graph of `entries` (type-only imports are erased, dynamic ones lazy). */
async function staticGraph(entries: string[]): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  const todo = entries.map((e) => new URL(e, `file://${ROOT}/`).href);
  const stmt = /^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?["']([^"']+)["']/gm;
  while (todo.length > 0) {
    const url = todo.pop()!;
    if (seen.has(url)) continue;
    const deps: string[] = [];
    seen.set(url, deps);
    const text = await Deno.readTextFile(fileURLToPath(url));
    for (const m of text.matchAll(stmt)) {
      if (m[1]) continue;
      const spec = m[2];
      deps.push(spec);
      if (spec.startsWith(".") && spec.endsWith(".ts")) todo.push(new URL(spec, url).href);
    }
  }
  return seen;
}

Deno.test("perf: env, stamp and env --from load no node: module and no npm package at start-up", async () => {
  const graph = await staticGraph([
    "main.ts",
    "lib/commands/env.ts",
    "lib/commands/stamp.ts",
    "lib/commands/check.ts",
    "lib/commands/exec.ts",
    // loaded on demand by every capture (session.ts imports it dynamically)
    "lib/environment/capture.ts",
  ]);
  assert(graph.size > 10, `walked ${graph.size} modules`);
  for (const [url, deps] of graph) {
    const heavy = deps.filter((d) =>
      d.startsWith("node:") || d.startsWith("npm:") || d === "jsonc-parser"
    );
    assertEquals(heavy, [], `${url} imports ${heavy.join(", ")}`);
  }
  // In Deno 2 the first setTimeout loads the Node timers; git's deadline uses AbortSignal.
  for (const url of graph.keys()) {
    assert(!(await Deno.readTextFile(fileURLToPath(url))).includes("setTimeout("), url);
  }
  const config = await Deno.readTextFile(join(ROOT, "lib", "config", "config.ts"));
  assert(
    config.includes('await import("jsonc-parser")'),
    "jsonc-parser loads only for a config file",
  );
});

Deno.test("perf: environment capture starts no process (no Deno.Command, no git, no python)", async () => {
  const graph = await staticGraph(["lib/environment/capture.ts"]);
  const session = await Deno.readTextFile(join(ROOT, "lib", "run", "session.ts"));
  assert(session.includes('await import("../environment/capture.ts")'), "loaded on demand");
  for (const url of graph.keys()) {
    const text = await Deno.readTextFile(fileURLToPath(url));
    assert(!/Deno\.(Command|run)\b|\bspawn\(/.test(text), `${url} can start a process`);
    assert(!url.includes("/lib/git/client.ts"), `${url}: environment capture must not reach git`);
  }
});

/** A `git` first on PATH that logs each call's arguments, then runs the real git. */
async function countingGit(sb: Sandbox): Promise<{ env: Record<string, string>; log: string }> {
  const real = (await run("sh", ["-c", "command -v git"], { env: sb.env })).stdout.trim();
  const bin = join(sb.base, "count-bin");
  const log = join(sb.base, "git.log");
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    join(bin, "git"),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`,
  );
  await Deno.chmod(join(bin, "git"), 0o755);
  return { env: { PATH: `${bin}:${sb.env.PATH}` }, log };
}

async function calls(sb: Sandbox, args: string[]): Promise<string[]> {
  const { env, log } = await countingGit(sb);
  await Deno.writeTextFile(log, "");
  const r = await sb.runprov(args, { env });
  assertEquals(r.code, 0, r.stderr);
  return (await Deno.readTextFile(log)).split("\n").filter(Boolean);
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

Deno.test("perf: runs lists any number of run tags with one for-each-ref", async () => {
  await withSandbox(async (sb) => {
    for (let i = 0; i < 30; i++) await sb.git("tag", "-a", `run/r${i}`, "-m", `Run r${i}`);
    const lines = await calls(sb, ["runs"]);
    assertEquals(lines.filter((l) => l.includes("for-each-ref")).length, 1, lines.join("\n"));
    assert(lines.length <= 2, lines.join("\n"));
  });
});
