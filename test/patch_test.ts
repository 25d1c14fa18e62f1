/** Patches of dirty runs: stored next to the record, applicable, bounded, lock-free. */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { run, Sandbox, withSandbox } from "./helpers.ts";
import { Git } from "../lib/git/client.ts";
import { capturePatch } from "../lib/run/patch.ts";

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** The tree git would commit for this checkout's working files (tracked and new). */
async function worktreeTree(sb: Sandbox, dir: string): Promise<string> {
  await sb.gitIn(dir, "add", "-A");
  return (await sb.gitIn(dir, "write-tree")).trim();
}

Deno.test("patch: git apply on a clean checkout of the sha rebuilds the dirty tree exactly", async () => {
  await withSandbox(async (sb) => {
    await sb.write("train.py", "lr = 1\nepochs = 3\n");
    await Deno.writeFile(join(sb.dir, "weights.bin"), new Uint8Array([0, 1, 2, 255, 0, 7]));
    await sb.write("gone.txt", "delete me\n");
    await sb.write("old_name.py", "x = 1\n".repeat(20));
    await sb.write("run.sh", "echo hi\n");
    await sb.write("both.txt", "base\n");
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "base");
    const sha = (await sb.git("rev-parse", "HEAD")).trim();

    await sb.write("train.py", "lr = 2\nepochs = 3\n");
    await Deno.writeFile(join(sb.dir, "weights.bin"), new Uint8Array([9, 0, 0, 1, 2, 3, 4]));
    await sb.git("rm", "-q", "gone.txt");
    await sb.git("mv", "old_name.py", "new_name.py");
    await Deno.chmod(join(sb.dir, "run.sh"), 0o755);
    await sb.write("both.txt", "staged\n");
    await sb.git("add", "both.txt");
    await sb.write("both.txt", "staged\nand unstaged\n");
    await sb.write("added.txt", "new and staged\n");
    await sb.git("add", "added.txt");

    const r = await sb.runprov(["stamp", "--run-id", "dirty-1"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    const root = await Deno.realPath(sb.dir);
    const patchFile = join(root, ".runprov", "runs", "dirty-1.patch");
    assertEquals(rec.git.patch.path, patchFile);
    assertEquals(rec.git.patch.truncated, false);
    assertEquals(rec.git.patch.bytes, (await Deno.stat(patchFile)).size);
    assertEquals(rec.git.patch.sha256, await sha256(patchFile));
    assertMatch(await Deno.readTextFile(patchFile), /GIT binary patch/);

    const clone = join(sb.base, "clone");
    await sb.gitIn(sb.base, "clone", "-q", "--no-checkout", sb.dir, clone);
    await sb.gitIn(clone, "checkout", "-q", sha);
    await sb.gitIn(clone, "apply", patchFile);
    assertEquals(await worktreeTree(sb, clone), await worktreeTree(sb, sb.dir));
  });
});

Deno.test("patch: cut at patch.max_bytes, marked truncated, with a warning", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "patch": { "max_bytes": 100 } }\n');
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "cfg");
    await sb.write("README.md", "line\n".repeat(1000));
    const r = await sb.runprov(["stamp", "--run-id", "big"]);
    assertEquals(r.code, 0, r.stderr);
    const patch = JSON.parse(r.stdout).git.patch;
    assertEquals([patch.bytes, patch.truncated], [100, true]);
    assertEquals((await Deno.stat(patch.path)).size, 100);
    assertEquals(patch.sha256, await sha256(patch.path));
    assertMatch(r.stderr, /patch of this dirty run was cut at 100 bytes/);
  });
});

Deno.test("patch: none for a clean tree, with --out -, or with patch.capture false", async () => {
  await withSandbox(async (sb) => {
    await sb.write("notes.txt", "untracked files are listed, not embedded\n");
    assertEquals((await sb.json(["stamp"])).git.patch, null);
    await sb.write("README.md", "changed\n");
    assertEquals((await sb.json(["stamp", "--out", "-"])).git.patch, null);
    await sb.write("runprov.jsonc", '{ "patch": { "capture": false } }\n');
    const rec = await sb.json(["stamp", "--run-id", "nopatch"]);
    assertEquals([rec.git.dirty, rec.git.patch], [true, null]);
    const runs = [...Deno.readDirSync(join(sb.dir, ".runprov", "runs"))].map((e) => e.name);
    assert(!runs.some((n) => n.endsWith(".patch")), runs.join(","));
  });
});

Deno.test("patch: with --out FILE the patch sits next to the record", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "changed\n");
    const out = join(sb.base, "elsewhere", "run.json");
    await Deno.mkdir(join(sb.base, "elsewhere"));
    const rec = await sb.json(["stamp", "--out", out]);
    assertEquals(rec.git.patch.path, join(sb.base, "elsewhere", "run.patch"));
    assertMatch(await Deno.readTextFile(rec.git.patch.path), /^diff --git a\/README.md/);
  });
});

Deno.test("patch: capturing never makes a concurrent git commit fail (no index.lock)", async () => {
  await withSandbox(async (sb) => {
    for (let i = 0; i < 200; i++) await sb.write(`src/f${i}.py`, `x = ${i}\n`);
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "files");
    const sha = (await sb.git("rev-parse", "HEAD")).trim();
    for (let i = 0; i < 200; i += 2) await sb.write(`src/f${i}.py`, `x = -${i}\n`);
    await sb.git("add", "src/f0.py");
    // Stat-dirty files: a refreshing command (git diff) would rewrite the index here.
    for (let i = 1; i < 200; i += 2) {
      await Deno.utime(join(sb.dir, `src/f${i}.py`), new Date(), new Date(2020, 1, 1));
    }
    const commits = run("bash", [
      "-c",
      'fail=0; for i in $(seq 40); do git commit -q --allow-empty -m "c$i" || fail=$((fail+1)); ' +
      'done; echo "$fail"',
    ], { cwd: sb.dir, env: sb.env });
    let done = false;
    const finished = commits.then((r) => {
      done = true;
      return r;
    });
    const git = new Git({ cwd: sb.dir, env: sb.env });
    let captures = 0;
    while (!done || captures < 5) {
      const p = await capturePatch(git, sha, join(sb.base, `p${captures % 3}.patch`), 1 << 20);
      assert(p.bytes > 0 && !p.truncated);
      captures++;
    }
    const r = await finished;
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), "0", `failed commits; stderr: ${r.stderr}`);
    assertEquals(r.stderr, "");
    // One `git config` (the filter overrides, asked once per client), then only diff-index.
    assertEquals(git.calls.filter((argv) => argv.includes("config")).length, 1);
    assert(git.calls.every((argv) => argv.includes("diff-index") || argv.includes("config")));
  });
});

Deno.test("patch: made by git diff-index (never git diff), cut mid-stream at the limit", async () => {
  const calls: { args: readonly string[]; env: Record<string, string> }[] = [];
  const git = new Git({
    cwd: "/r",
    env: {},
    runner: (args, { env }) => {
      // The client's one `git config` (filter overrides): no key set in this repository.
      if (args[2] === "config") {
        return Promise.resolve({ code: 1, stdout: new Uint8Array(), stderr: "" });
      }
      calls.push({ args, env });
      return Promise.resolve({
        code: 0,
        stdout: new TextEncoder().encode("diff --git a/x b/x\n".repeat(10)),
        stderr: "",
      });
    },
  });
  const dir = await Deno.makeTempDir();
  try {
    const p = await capturePatch(git, "abc123", join(dir, "r.patch"), 25);
    assertEquals([p.bytes, p.truncated], [25, true]);
    assertEquals(await Deno.readTextFile(join(dir, "r.patch")), "diff --git a/x b/x\ndiff -");
    assertEquals(calls.length, 1);
    const argv = calls[0].args.slice(2);
    assertEquals(argv[0], "diff-index");
    assert(argv.includes("--binary") && argv.includes("-p"));
    assertEquals(argv.slice(-2), ["abc123", "--"]);
    assertEquals(calls[0].env.GIT_OPTIONAL_LOCKS, "0");
    const whole = await capturePatch(git, "abc123", join(dir, "w.patch"), 1 << 20);
    assertEquals([whole.bytes, whole.truncated], [190, false]);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["r.patch", "w.patch"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("patch: untracked files that count are in it; too big for max_bytes they are never hashed", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "untracked": "dirty", "patch": { "max_bytes": 4096 } }\n');
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "cfg");
    await sb.write("notes/a b.txt", "small\n");
    const small = await sb.json(["stamp", "--run-id", "u-small"]);
    assertEquals([small.git.patch.untracked, small.git.patch.truncated], [true, false]);
    assertMatch(await Deno.readTextFile(small.git.patch.path), /^\+small$/m);
    await sb.write("data/big.bin", "x".repeat(100_000));
    const objects = await sb.git("count-objects", "-v");
    const big = await sb.json(["stamp", "--run-id", "u-big"]);
    assertEquals(big.git.patch.truncated, true);
    assertEquals(await sb.git("count-objects", "-v"), objects, "no blob of data/big.bin");
  });
});
