/**
 * The README, run: its quickstart's commands run in a fresh project, in order, and print what
 * the README shows (run ids, shas, dates, the host and the project's path normalised); its
 * environment-variable table lists exactly the RUNPROV_* variables the code reads.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { ROOT, run, runprovArgv, Sandbox, withTool } from "./helpers.ts";
import { codeSpans, fencedBlocks, sections, tableRows } from "./markdown.ts";

const README = await Deno.readTextFile(join(ROOT, "README.md"));

/** Where the README's quickstart pretends to be. */
const README_DIR = "/home/me/my-project";

/** One `$ command` of a console block and the lines the README shows after it. */
interface Step {
  command: string;
  expected: string;
  /** From a `# ... exit N` comment; 0 without one. */
  code: number;
}

function consoleSteps(block: string): Step[] {
  const steps: Step[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("$ ")) {
      const command = line.slice(2);
      const comment = /\s#\s.*$/.exec(command)?.[0] ?? "";
      const code = Number(/\bexit (\d+)\b/.exec(comment)?.[1] ?? 0);
      steps.push({
        command: command.slice(0, command.length - comment.length),
        expected: "",
        code,
      });
    } else {
      assert(steps.length > 0, `output before any command: ${line}`);
      steps.at(-1)!.expected += line + "\n";
    }
  }
  return steps;
}

/** The README's run ids, newest first: the first column of the `runprov runs` output. */
function readmeIds(steps: Step[]): string[] {
  const runs = steps.find((s) => s.command.trim() === "runprov runs");
  assert(runs, "the quickstart runs 'runprov runs'");
  return runs.expected.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[0]);
}

/** The run ids recorded in the project, newest first (as `runs` lists them). */
async function actualIds(dir: string): Promise<string[]> {
  const runs: [string, string][] = [];
  const records = join(dir, ".runprov", "runs");
  if (!(await Deno.stat(records).then(() => true, () => false))) return [];
  for await (const e of Deno.readDir(records)) {
    if (!e.name.endsWith(".json") || e.name.startsWith(".")) continue;
    const rec = JSON.parse(await Deno.readTextFile(join(records, e.name)));
    runs.push([rec.created_at, rec.run_id]);
  }
  return runs.sort().reverse().map(([, id]) => id);
}

/**
 * What may differ between the README's session and a real one: ids, shas, dates, the host,
 * the project's path, and the values of the environment lines of `show`.
 */
function normalise(text: string, ids: string[], dir: string): string {
  let out = text.replaceAll(dir, README_DIR);
  for (const id of ids) out = out.replaceAll(id, "<id>");
  return out
    .replace(
      /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z/g,
      (d) => d.length > 20 ? "<date.ms>" : "<date>",
    )
    .replace(/\b[0-9a-f]{40}\b/g, "<sha>")
    .replace(/\b[0-9a-f]{12}\b/g, "<sha12>")
    .replace(/\b[0-9a-f]{7,11}\b/g, "<short>")
    .replace(/^(host +).*$/gm, "$1<host>")
    // The run's environment is the machine's: its lines must be there, their values differ
    // (the README shows a GPU node; torch appears only where it is installed).
    .replace(/^(python|packages|gpu|devices)( +).*$/gm, "$1$2<environment>")
    .replace(/^torch +.*\n/gm, "");
}

function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

Deno.test(withTool(
  "python3",
  "README quickstart: each command prints what the README shows, in a fresh project",
  async (python3) => {
    const section = sections(README, 2).get("Quickstart");
    assert(section, "README has a '## Quickstart' section");
    const blocks = fencedBlocks(section);
    const trainPy = blocks.find((b) => b.info === "python")?.code;
    const session = blocks.find((b) => b.info === "console")?.code;
    assert(trainPy && session, "the quickstart shows train.py and a console session");
    const steps = consoleSteps(session);
    const wanted = readmeIds(steps);

    const sb = await Sandbox.create({ commit: false });
    try {
      // The user's project: train.py committed, runprov and python on PATH.
      await sb.write("train.py", trainPy + "\n");
      await sb.git("add", "train.py");
      await sb.git("commit", "-q", "-m", "first model");
      const bin = join(sb.base, "bin");
      await Deno.mkdir(bin);
      await Deno.writeTextFile(
        join(bin, "runprov"),
        `#!/bin/sh\nexec ${runprovArgv().map(shq).join(" ")} "$@"\n`,
      );
      await Deno.writeTextFile(join(bin, "python"), `#!/bin/sh\nexec ${shq(python3)} "$@"\n`);
      for (const f of ["runprov", "python"]) await Deno.chmod(join(bin, f), 0o755);
      const env = { ...sb.env, PATH: `${bin}:${sb.env.PATH}` };

      for (const step of steps) {
        if (step.command.startsWith("cd ")) continue; // the sandbox is the project
        let ids = await actualIds(sb.dir);
        let command = step.command;
        if (ids.length === wanted.length) {
          wanted.forEach((id, i) => command = command.replaceAll(id, ids[i]));
        }
        const r = await run("sh", ["-c", `${command} 2>&1`], { cwd: sb.dir, env });
        assertEquals(r.code, step.code, `$ ${step.command}\n${r.stdout}`);
        ids = await actualIds(sb.dir);
        assertEquals(
          normalise(r.stdout, ids, sb.dir),
          normalise(step.expected, wanted, README_DIR),
          `output of: $ ${step.command}`,
        );
      }
      assertEquals((await actualIds(sb.dir)).length, wanted.length, "runs recorded");
      assertEquals(await sb.git("status", "--porcelain"), "", "the tree stays clean");
    } finally {
      await sb.cleanup();
    }
  },
));

Deno.test("README quickstart: the normaliser keeps what matters", () => {
  const a = normalise(
    "ok: run ab12cd34 (0123456789ab, clean) at 2026-12-01T06:58:07.654Z in /tmp/x/p\nhost   vm\n",
    ["ab12cd34"],
    "/tmp/x/p",
  );
  assertEquals(a, `ok: run <id> (<sha12>, clean) at <date.ms> in ${README_DIR}\nhost   <host>\n`);
  assertEquals(
    normalise(
      "host     vm in docker\npython   3.11.2 (system /usr/bin/python3)\ntorch    2.1\n",
      [],
      "/x",
    ),
    "host     <host>\npython   <environment>\n",
  );
  // A different status or exit code is never normalised away.
  assert(normalise("failed", [], "/x") !== normalise("succeeded", [], "/x"));
});

/** RUNPROV_* variables a source file reads (`env.X`, `env["X"]`, `Deno.env.get("X")`, `$X`). */
function readsIn(text: string, shell: boolean): string[] {
  const patterns = shell ? [/\$\{?(RUNPROV_[A-Z0-9_]+)/g] : [
    /\benv\??\.(RUNPROV_[A-Z0-9_]+)/g,
    /\benv\[\s*"(RUNPROV_[A-Z0-9_]+)"\s*\]/g,
    /Deno\.env\.get\(\s*"(RUNPROV_[A-Z0-9_]+)"\s*\)/g,
  ];
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
}

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await tsFiles(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

Deno.test("README: the environment-variable table lists every RUNPROV_* variable runprov reads", async () => {
  // What runprov itself reads, and install.sh; the test kit and the scripts may add theirs.
  const product = new Set<string>();
  for (const f of [join(ROOT, "main.ts"), ...await tsFiles(join(ROOT, "lib"))]) {
    for (const v of readsIn(await Deno.readTextFile(f), false)) product.add(v);
  }
  for (const v of readsIn(await Deno.readTextFile(join(ROOT, "install.sh")), true)) product.add(v);
  const tooling = new Set<string>();
  const tools = [join(ROOT, "testkit"), join(ROOT, "scripts"), join(ROOT, "test")];
  for (const f of (await Promise.all(tools.map(tsFiles))).flat()) {
    for (const v of readsIn(await Deno.readTextFile(f), false)) tooling.add(v);
  }
  assert(product.has("RUNPROV_GIT_TIMEOUT") && product.has("RUNPROV_INSTALL_DIR"), "scan works");

  const section = sections(README, 2).get("Environment variables") ?? "";
  const table = new Set(
    tableRows(section).flatMap((row) => codeSpans(row[0])).filter((s) => s.startsWith("RUNPROV_")),
  );
  assertEquals([...product].filter((v) => !table.has(v)).sort(), [], "read but not in the table");
  assertEquals(
    [...table].filter((v) => !product.has(v) && !tooling.has(v)).sort(),
    [],
    "in the table but read nowhere",
  );
});
