/**
 * The project's own promises: one permission list, no files read beside the source. Source is
 * read through Deno's parser (test/source.ts), so a comment can neither pass nor fail a check.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import denoConfig from "../deno.json" with { type: "json" };
import { PERMISSIONS, ROOT } from "./helpers.ts";
import { arraysSpreading, defaultImports, importMetaUrls, processSpawns } from "./source.ts";

Deno.test("permissions: main.ts's shebang carries exactly lib/permissions.json", async () => {
  const first = (await Deno.readTextFile(join(ROOT, "main.ts"))).split("\n")[0];
  assertEquals(first, `#!/usr/bin/env -S deno run ${PERMISSIONS.join(" ")}`);
});

Deno.test("permissions: the runprov task runs main.ts with exactly lib/permissions.json", () => {
  assertEquals(denoConfig.tasks.runprov, `deno run ${PERMISSIONS.join(" ")} main.ts`);
});

Deno.test("permissions: the compile script takes its flags from lib/permissions.json", async () => {
  const file = join(ROOT, "scripts/compile.ts");
  const src = await Deno.readTextFile(file);
  const names = defaultImports(file, src, "../lib/permissions.json");
  assertEquals(names.length, 1, "scripts/compile.ts imports lib/permissions.json");
  assertEquals(
    arraysSpreading(file, src, "compile", names[0]),
    1,
    `the deno compile arguments spread ${names[0]}`,
  );
});

Deno.test("compiled binary safety: nothing in lib/ reads files relative to import.meta.url", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (p.endsWith(".ts") && importMetaUrls(p, await Deno.readTextFile(p)) > 0) {
        offenders.push(p);
      }
    }
  };
  await walk(join(ROOT, "lib"));
  assertEquals(offenders, []);
});

/**
 * Every module of lib/ (and main.ts) that starts a process, and what it starts. git is spawned
 * in one place, the seam lib/git/runner.ts; a new entry here is a new process runprov starts.
 */
const SPAWNERS: Record<string, string[]> = {
  "lib/git/runner.ts": ["git"],
  "lib/run/group_probe.ts": ["cat"],
  "lib/run/liveness.ts": ["sh"],
  "lib/run/supervise.ts": ["…"], // the user's command
};

Deno.test("one seam: only lib/git/runner.ts spawns git; no other module starts an unlisted process", async () => {
  assertEquals(processSpawns("x.ts", 'await new Deno.Command("git", {}).output();'), ["git"]);
  assertEquals(processSpawns("x.ts", '// new Deno.Command("git")'), []);
  const found: Record<string, string[]> = {};
  const scan = async (rel: string) => {
    const spawns = processSpawns(rel, await Deno.readTextFile(join(ROOT, rel)));
    if (spawns.length > 0) found[rel] = spawns;
  };
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(join(ROOT, dir))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(rel);
      else if (rel.endsWith(".ts")) await scan(rel);
    }
  };
  await scan("main.ts");
  await walk("lib");
  const sorted = Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
  assertEquals(sorted, SPAWNERS);
});

Deno.test("main.ts is executable", async () => {
  const st = await Deno.stat(join(ROOT, "main.ts"));
  assert(((st.mode ?? 0) & 0o111) !== 0);
});
