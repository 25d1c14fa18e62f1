/**
 * The command line as a whole: global options go before the command (and are refused with a
 * hint after it), and `-C DIR` means "as if started in DIR" for every relative path.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { withSandbox } from "./helpers.ts";
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
