/**
 * The command line as a whole: global options go before the command (and are refused with a
 * hint after it), `-C DIR` means "as if started in DIR" for every relative path, and a reader
 * that closes stdout early ends runprov quietly.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, runprovArgv, withSandbox } from "./helpers.ts";
import { globalOptionHint } from "../lib/cli/args.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("cli: a global option after the command is refused with where it goes", async () => {
  await withSandbox(async (sb) => {
    const cases: [string[], string][] = [
      [["stamp", "-q"], "'runprov -q stamp ...'"],
      [["env", "--quiet"], "'runprov --quiet env ...'"],
      [["check", "-C", ".."], "'runprov -C DIR check ...'"],
      [["runs", "--config", "x.jsonc"], "'runprov --config FILE runs ...'"],
      [["doctor", "--version"], "'runprov --version' prints the version"],
    ];
    for (const [args, where] of cases) {
      const r = await sb.runprov(args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertEquals(r.stdout, "");
      assertEquals(
        r.stderr.split("\n")[0],
        `runprov: ${args[0]}: unknown option ${args[1]}`,
      );
      assert(r.stderr.includes(`hint: ${args[1]} is a global option: `), r.stderr);
      assert(r.stderr.includes(where), r.stderr);
    }
    // Nothing was recorded by the refused commands.
    assertEquals(await exists(join(sb.dir, ".runprov/runs")), false);
    // Before the command they work.
    const quiet = await sb.runprov(["-q", "stamp"]);
    assertEquals(quiet.code, 0, quiet.stderr);
  });
});

Deno.test("cli: the hint for a global option names the option and the command", () => {
  assertEquals(
    globalOptionHint("-q", "stamp"),
    "-q is a global option: it goes before the command, as in 'runprov -q stamp ...'",
  );
  assertEquals(globalOptionHint("--strict", "stamp"), null);
});

/** runprov started in the sandbox's parent directory, pointed at the repository by -C. */
const REPO = "repo"; // Sandbox.dir as seen from Sandbox.base

Deno.test("cli: -C DIR puts a relative --out in DIR", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["-C", REPO, "stamp", "--run-id", "s1", "--out", "s1.json"], {
      cwd: sb.base,
    });
    assertEquals(r.code, 0, r.stderr);
    assert(await exists(join(sb.dir, "s1.json")), "--out is relative to -C");
    assertEquals(await exists(join(sb.base, "s1.json")), false);
  });
});

Deno.test("cli: -C DIR reads a relative --from from DIR", async () => {
  await withSandbox(async (sb) => {
    assertEquals((await sb.runprov(["stamp", "--run-id", "s1", "--out", "s1.json"])).code, 0);
    // A decoy where runprov was started: reading it would be an error.
    await Deno.writeTextFile(join(sb.base, "s1.json"), "not a record\n");
    const r = await sb.runprov(
      ["-C", REPO, "exec", "--from", "s1.json", "--out", "e1.json", "--", "true"],
      { cwd: sb.base },
    );
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(await Deno.readTextFile(join(sb.dir, "e1.json")));
    assertEquals(rec.from.path, join(sb.dir, "s1.json"));
    assertEquals(rec.from.run_id, "s1");
  });
});

Deno.test("cli: -C DIR reads a relative --config (before or after -C) from DIR", async () => {
  await withSandbox(async (sb) => {
    await sb.write("team.jsonc", '{ "tag": { "prefix": "team/" } }\n');
    await Deno.writeTextFile(join(sb.base, "team.jsonc"), '{ "tag": { "prefix": "decoy/" } }\n');
    const orders = [["-C", REPO, "--config", "team.jsonc"], ["--config=team.jsonc", "-C", REPO]];
    for (const args of orders) {
      const r = await sb.runprov([...args, "config", "--json"], { cwd: sb.base });
      assertEquals(r.code, 0, r.stderr);
      const cfg = JSON.parse(r.stdout);
      assertEquals(cfg.file, join(sb.dir, "team.jsonc"), args.join(" "));
      assertEquals(cfg.config.tag.prefix, "team/");
    }
    // A variable that names a file follows the same rule.
    const viaEnv = await sb.runprov(["-C", REPO, "config", "--json"], {
      cwd: sb.base,
      env: { RUNPROV_CONFIG: "team.jsonc" },
    });
    assertEquals(JSON.parse(viaEnv.stdout).file, join(sb.dir, "team.jsonc"));
  });
});

/** Single-quote `s` for sh. */
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * `runprov ARGS | READER` in a real shell: runprov's exit code and stderr, and what the
 * reader printed.
 */
async function piped(cwd: string, env: Record<string, string>, args: string[], reader: string) {
  const line = `{ ${[...runprovArgv(), ...args].map(q).join(" ")} 2>stderr.txt; ` +
    `echo $? > code.txt; } | ${reader}`;
  const r = await run("sh", ["-c", line], { cwd, env });
  return {
    code: Number((await Deno.readTextFile(join(cwd, "code.txt"))).trim()),
    stderr: await Deno.readTextFile(join(cwd, "stderr.txt")),
    stdout: r.stdout,
  };
}

Deno.test("cli: a reader that closes the pipe early ends runprov quietly with 141", async () => {
  await withSandbox(async (sb) => {
    const first = await sb.json(["stamp", "--run-id", "r0"]);
    // Enough records that `runs` writes far more than a pipe holds (64 KiB).
    const dir = join(sb.dir, ".runprov/runs");
    for (let i = 1; i < 1500; i++) {
      const rec = { ...first, run_id: `r${i}`, name: `run number ${i}` };
      await Deno.writeTextFile(join(dir, `r${i}.json`), JSON.stringify(rec));
    }
    const runs = await piped(sb.dir, sb.env, ["runs"], "head -n 3");
    assertEquals(runs.stdout.split("\n").length, 4, runs.stdout); // 3 lines and the last \n
    assertEquals(runs.stderr, "");
    assertEquals(runs.code, 141);

    const env = await piped(sb.dir, sb.env, ["env", "--run-id", "closed"], "true");
    assertEquals(env.stderr, "");
    assertEquals(env.code, 141);
    // What runprov wrote before the reader went away is whole.
    const rec = JSON.parse(await Deno.readTextFile(join(dir, "closed.json")));
    assertEquals(rec.run_id, "closed");

    // A reader that reads everything still gets exit 0.
    const all = await piped(sb.dir, sb.env, ["runs"], "wc -l");
    assertEquals(all.code, 0, all.stderr);
    assertMatch(all.stdout.trim(), /^150[12]$/);
  });
});
