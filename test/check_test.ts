/** `runprov check`, `runprov config` and the config file, on real repositories. */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { Sandbox, withSandbox } from "./helpers.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** A repository with one committed file `train.py`, then edited. */
async function dirty(sb: Sandbox): Promise<void> {
  await sb.write("train.py", "lr = 1\n");
  await sb.git("add", "train.py");
  await sb.git("commit", "-qm", "train");
  await sb.write("train.py", "lr = 2\n");
}

Deno.test("check: strict refuses a dirty tree with exit 3, the paths and how to proceed", async () => {
  await withSandbox(async (sb) => {
    await dirty(sb);
    await sb.write("staged.txt", "s\n");
    await sb.git("add", "staged.txt");
    await sb.git("rm", "-q", "README.md");
    const r = await sb.runprov(["check", "--strict"]);
    assertEquals(r.code, 3);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, /refusing a dirty working tree/);
    assertMatch(r.stderr, /modified +train\.py/);
    assertMatch(r.stderr, /deleted +README\.md/);
    assertMatch(r.stderr, /(staged|added) +staged\.txt/);
    assertMatch(r.stderr, /commit or stash/);
    assertMatch(r.stderr, /--allow-dirty REASON/);
    assert(!(await exists(join(sb.dir, ".runprov"))), "check writes no record");
  });
});

Deno.test("check: a clean tree passes silently under strict", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["check", "--strict"]);
    assertEquals([r.code, r.stdout, r.stderr], [0, "", ""]);
  });
});

Deno.test("check: warn gives one warning line and exit 0; off is silent", async () => {
  await withSandbox(async (sb) => {
    await dirty(sb);
    const warn = await sb.runprov(["check"]);
    assertEquals(warn.code, 0);
    assertEquals(warn.stdout, "");
    assertEquals(warn.stderr.trim().split("\n").length, 1);
    assertMatch(warn.stderr, /warning: working tree is dirty \(1 modified\)/);
    const off = await sb.runprov(["check", "--policy", "off"]);
    assertEquals([off.code, off.stdout, off.stderr], [0, "", ""]);
  });
});

Deno.test("check: lists at most 20 dirty paths, then how many more", async () => {
  await withSandbox(async (sb) => {
    for (let i = 0; i < 25; i++) await sb.write(`f${String(i).padStart(2, "0")}.txt`, "a\n");
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "files");
    for (let i = 0; i < 25; i++) await sb.write(`f${String(i).padStart(2, "0")}.txt`, "b\n");
    const r = await sb.runprov(["check", "--strict"]);
    assertEquals(r.code, 3);
    assertEquals((r.stderr.match(/^ +modified /gm) ?? []).length, 20);
    assertMatch(r.stderr, /\.\.\. and 5 more/);
  });
});

Deno.test("check --json: the verdict on stdout, with the exit code", async () => {
  await withSandbox(async (sb) => {
    await dirty(sb);
    await sb.write("notes.txt", "n\n");
    const r = await sb.runprov(["check", "--json", "--strict"]);
    assertEquals(r.code, 3);
    const v = JSON.parse(r.stdout);
    assertEquals(v.mode, "strict");
    assertEquals(v.mode_source, "flag");
    assertEquals(v.verdict, "refused");
    assertEquals(v.exit_code, 3);
    assertEquals(v.dirty, true);
    assertEquals(v.changed.map((c: { path: string }) => c.path), ["train.py"]);
    assertEquals(v.untracked, ["notes.txt"]);
    assertEquals(v.untracked_counts, false);
    const ok = await sb.runprov(["check", "--json", "--strict", "--allow-dirty", "bisecting"]);
    assertEquals(ok.code, 0);
    assertEquals(JSON.parse(ok.stdout).verdict, "allowed");
    assertEquals(JSON.parse(ok.stdout).reason, "bisecting");
  });
});

Deno.test("check: --allow-dirty needs a reason; RUNPROV_ALLOW_DIRTY works too", async () => {
  await withSandbox(async (sb) => {
    await dirty(sb);
    const empty = await sb.runprov(["check", "--strict", "--allow-dirty", ""]);
    assertEquals(empty.code, 2);
    const env = await sb.runprov(["check", "--strict", "--json"], {
      env: { RUNPROV_ALLOW_DIRTY: "quick test" },
    });
    assertEquals(env.code, 0);
    assertEquals(JSON.parse(env.stdout).reason, "quick test");
  });
});

Deno.test("check: outside a repository strict exits 3 and warn passes", async () => {
  await withSandbox(async (sb) => {
    assertEquals((await sb.runprov(["check", "--strict"])).code, 3);
    const warn = await sb.runprov(["check"]);
    assertEquals(warn.code, 0);
    assertMatch(warn.stderr, /no git provenance/);
  }, { git: false });
});

Deno.test("policy precedence: flag over RUNPROV_POLICY over config over warn", async () => {
  await withSandbox(async (sb) => {
    await dirty(sb);
    await sb.write("runprov.jsonc", '{ "policy": "strict" }\n');
    assertEquals((await sb.runprov(["check"])).code, 3, "config strict applies");
    const viaStamp = await sb.runprov(["stamp"]);
    assertEquals(viaStamp.code, 3, "stamp follows the same rule");
    const env = await sb.runprov(["check", "--json"], { env: { RUNPROV_POLICY: "warn" } });
    assertEquals([env.code, JSON.parse(env.stdout).mode_source], [0, "env"]);
    const flag = await sb.runprov(["check", "--json", "--policy", "off"], {
      env: { RUNPROV_POLICY: "strict" },
    });
    assertEquals([flag.code, JSON.parse(flag.stdout).mode], [0, "off"]);
    await sb.write("runprov.jsonc", "{}\n");
    const dflt = await sb.runprov(["check", "--json"]);
    assertEquals([dflt.code, JSON.parse(dflt.stdout).mode_source], [0, "default"]);
  });
});

Deno.test("config: ignore globs keep paths from counting and from the lists", async () => {
  await withSandbox(async (sb) => {
    await sb.write("outputs/keep.txt", "a\n");
    await sb.write("runprov.jsonc", '{ "ignore": ["outputs/**", "wandb/", "*.log"] }\n');
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "cfg");
    await sb.write("outputs/keep.txt", "changed\n");
    await sb.write("wandb/run-1/files/config.yaml", "x\n");
    await sb.write("train.log", "x\n");
    await sb.write("notes.txt", "x\n");
    const rec = await sb.json(["stamp", "--strict"]);
    assertEquals(rec.git.dirty, false);
    assertEquals(rec.git.changed, []);
    assertEquals(rec.git.untracked, ["notes.txt"]);
  });
});

Deno.test("config: untracked 'dirty' counts untracked files, 'ignore' drops them", async () => {
  await withSandbox(async (sb) => {
    await sb.write("notes.txt", "x\n");
    await sb.write("runprov.jsonc", '{ "untracked": "dirty" }\n');
    const r = await sb.runprov(["check", "--strict"]);
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /untracked +notes\.txt/);
    await sb.write("runprov.jsonc", '{ "untracked": "ignore" }\n');
    const rec = await sb.json(["stamp", "--strict"]);
    assertEquals([rec.git.dirty, rec.git.untracked], [false, []]);
  });
});

Deno.test("config: a custom record dir inside the repository holds records and stays clean", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "dir": "records/runs" }\n');
    await sb.git("add", "runprov.jsonc");
    await sb.git("commit", "-qm", "cfg");
    await sb.json(["stamp", "--run-id", "one"]);
    assert(await exists(join(sb.dir, "records", "runs", "one.json")));
    const second = await sb.json(["stamp", "--strict", "--run-id", "two"]);
    assertEquals([second.git.dirty, second.git.untracked], [false, []]);
  });
});

Deno.test("config: a bad file is exit 2 naming file:line:column, for every command", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{\n  // comment\n  "policy": "strikt",\n}\n');
    for (const cmd of [["check"], ["stamp"], ["config"]]) {
      const r = await sb.runprov(cmd);
      assertEquals(r.code, 2, cmd.join(" "));
      assertEquals(r.stdout, "");
      const file = join(await Deno.realPath(sb.dir), "runprov.jsonc");
      assertMatch(r.stderr, new RegExp(`^runprov: ${file}:3:13: "policy" is "strikt", expected`));
    }
  });
});

Deno.test("config: --config FILE and RUNPROV_CONFIG replace the repository's file", async () => {
  await withSandbox(async (sb) => {
    await dirty(sb);
    await sb.write("runprov.jsonc", '{ "policy": "off" }\n');
    await Deno.writeTextFile(join(sb.base, "strict.jsonc"), '{ "policy": "strict" }');
    const flag = await sb.runprov(["--config", join(sb.base, "strict.jsonc"), "check"]);
    assertEquals(flag.code, 3);
    const env = await sb.runprov(["check"], {
      env: { RUNPROV_CONFIG: join(sb.base, "strict.jsonc") },
    });
    assertEquals(env.code, 3);
    const missing = await sb.runprov(["--config", join(sb.base, "nope.jsonc"), "check"]);
    assertEquals(missing.code, 2);
    assertMatch(missing.stderr, /nope\.jsonc \(--config\): no such file/);
  });
});

Deno.test("runprov config: each value with where it came from", async () => {
  await withSandbox(async (sb) => {
    await sb.write(
      "runprov.jsonc",
      '{ "$schema": "./runprov.schema.json", "policy": "strict", "tag": { "push": true } }\n',
    );
    const file = join(await Deno.realPath(sb.dir), "runprov.jsonc");
    const j = await sb.json(["config", "--json"], { env: { RUNPROV_GIT_TIMEOUT: "5" } });
    assertEquals(j.file, file);
    assertEquals(j.file_source, "repo");
    assertEquals(j.config.policy, "strict");
    assertEquals(j.config.tag.push, true);
    assertEquals(j.config.git_timeout, 5);
    assertEquals(j.sources.policy, "file");
    assertEquals(j.sources["tag.push"], "file");
    assertEquals(j.sources["tag.prefix"], "default");
    assertEquals(j.sources.git_timeout, "env");
    const flag = await sb.json(["config", "--json", "--policy", "off"]);
    assertEquals([flag.config.policy, flag.sources.policy], ["off", "flag"]);
    const text = await sb.runprov(["config"]);
    assertEquals(text.code, 0);
    assertMatch(text.stdout, new RegExp(`^policy +=  ?"strict"  # ${file}$`, "m"));
    assertMatch(text.stdout, /^patch\.max_bytes +=  ?10485760 {2}# default$/m);
    assertMatch(text.stdout, /^environment\.capture += true {2}# default$/m);
    assertMatch(
      text.stdout,
      /^environment\.vars += \["CUDA_VISIBLE_DEVICES",.*"NCCL_\*".*\] {2}# default$/m,
    );
  });
});

Deno.test("config: tag.prefix tags are never the base of describe; git_timeout is read", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "tag": { "prefix": "exp-" }, "git_timeout": 30 }\n');
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "cfg");
    await sb.git("tag", "-a", "v1.0", "-m", "release", "HEAD~1");
    await sb.git("tag", "-a", "exp-abc", "-m", "a run");
    const rec = await sb.json(["stamp"]);
    assertMatch(rec.git.describe, /^v1\.0-1-g[0-9a-f]+$/);
    const cfg = await sb.json(["config", "--json"]);
    assertEquals([cfg.config.git_timeout, cfg.sources.git_timeout], [30, "file"]);
  });
});
