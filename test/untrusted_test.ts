/**
 * A repository git refuses for dubious ownership (another user's checkout) does not steer
 * runprov: its runprov.jsonc is never read, not even for the time limit before git runs.
 * These tests chown a repository to another uid, so they need root (as on CI).
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, Sandbox, withSandbox } from "./helpers.ts";

const NOT_ROOT = Deno.uid() !== 0;
const WHY = "needs root to chown a repository to another uid (git's dubious-ownership check)";
if (NOT_ROOT) console.log(`untrusted_test: skipped: ${WHY}`);

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

/** Give the repository to uid 4242, so git (run by root without SUDO_UID) refuses it. */
async function giveAway(sb: Sandbox): Promise<string> {
  const r = await run("chown", ["-R", "4242:4242", sb.dir]);
  assertEquals(r.code, 0, r.stderr);
  return await Deno.realPath(sb.dir);
}

/** A configuration that would redirect records, shrink the time limit and change policy. */
function hostileConfig(elsewhere: string): string {
  return JSON.stringify({
    dir: elsewhere,
    git_timeout: 0.001,
    policy: "strict",
    tag: { prefix: "pwned/" },
  });
}

Deno.test({
  name: "untrusted repo: its runprov.jsonc chooses neither where records go nor git's time limit",
  ignore: NOT_ROOT,
  fn: async () => {
    await withSandbox(async (sb) => {
      const elsewhere = join(sb.base, "elsewhere");
      await sb.write("runprov.jsonc", hostileConfig(elsewhere));
      const top = await giveAway(sb);
      const r = await sb.runprov(["stamp", "--run-id", "u1"]);
      assertEquals(r.code, 0, r.stderr);
      const rec = JSON.parse(r.stdout);
      // The early git_timeout (0.001 s) was not applied: git ran and named the real problem.
      assertEquals(rec.git.reason_code, "dubious-ownership");
      assertEquals(rec.policy.mode, "warn", "the file's policy: strict is not applied");
      assert(!(await exists(elsewhere)), "nothing written where the repository's config says");
      assert(await exists(join(top, ".runprov/runs/u1.json")), "the record is at the default path");
      assert(
        r.stderr.includes(`warning: not reading ${join(top, "runprov.jsonc")}: git does not trust`),
        r.stderr,
      );
      assertMatch(r.stderr, /uses its defaults/);
    });
  },
});

Deno.test({
  name: "untrusted repo: exec runs with the defaults too, and says so once",
  ignore: NOT_ROOT,
  fn: async () => {
    await withSandbox(async (sb) => {
      const elsewhere = join(sb.base, "elsewhere");
      await sb.write("runprov.jsonc", hostileConfig(elsewhere));
      const top = await giveAway(sb);
      const r = await sb.runprov([
        "exec",
        "--run-id",
        "e1",
        "--",
        "sh",
        "-c",
        'echo "$RUNPROV_FILE"',
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim(), join(top, ".runprov/runs/e1.json"));
      assert(!(await exists(elsewhere)));
      assertEquals(r.stderr.split("not reading").length, 2, r.stderr);
    });
  },
});

Deno.test({
  name: "untrusted repo: runprov config shows the defaults and says the file is not read",
  ignore: NOT_ROOT,
  fn: async () => {
    await withSandbox(async (sb) => {
      await sb.write("runprov.jsonc", hostileConfig(join(sb.base, "elsewhere")));
      await giveAway(sb);
      const r = await sb.runprov(["config", "--json"]);
      assertEquals(r.code, 0, r.stderr);
      const shown = JSON.parse(r.stdout);
      assertEquals(shown.file, null);
      assertEquals(shown.config.dir, ".runprov/runs");
      assertEquals(shown.config.tag.prefix, "run/");
      assertMatch(r.stderr, /not reading .*runprov\.jsonc: git does not trust/);
    });
  },
});

Deno.test({
  name: "untrusted repo: a symlinked .runprov cannot redirect the record",
  ignore: NOT_ROOT,
  fn: async () => {
    await withSandbox(async (sb) => {
      const target = join(sb.base, "target");
      await Deno.mkdir(target);
      await Deno.symlink(target, join(sb.dir, ".runprov"));
      await giveAway(sb);
      const r = await sb.runprov(["stamp", "--run-id", "s1"]);
      assertEquals(r.code, 2, r.stderr);
      assertMatch(r.stderr, /refusing to write the record through the symbolic link .*\.runprov/);
      assertEquals([...Deno.readDirSync(target)], [], "nothing written through the link");
      // Where the user says, it works.
      const out = join(sb.base, "mine.json");
      const ok = await sb.runprov(["stamp", "--run-id", "s1", "--out", out]);
      assertEquals(ok.code, 0, ok.stderr);
      assert(await exists(out));
    });
  },
});

Deno.test({
  name: "trusted with safe.directory, another user's repo is configured by its runprov.jsonc",
  ignore: NOT_ROOT,
  fn: async () => {
    await withSandbox(async (sb) => {
      const elsewhere = join(sb.base, "elsewhere");
      await sb.write("runprov.jsonc", JSON.stringify({ dir: elsewhere }));
      await sb.git("add", "runprov.jsonc");
      await sb.git("commit", "-q", "-m", "config");
      const top = await giveAway(sb);
      await sb.gitIn(sb.home, "config", "--global", "--add", "safe.directory", top);
      const r = await sb.runprov(["stamp", "--run-id", "t1"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(r.stdout).git.available, true);
      assert(await exists(join(elsewhere, "t1.json")), "git trusts it, so its config applies");
      assert(!r.stderr.includes("not reading"), r.stderr);
    });
  },
});
