/**
 * `runprov restore`: a run's exact code comes back in a new worktree, byte for byte, `verify`
 * agrees there, and the user's checkout never changes (not even under concurrent commits).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { run, type Sandbox, withSandbox } from "./helpers.ts";
import {
  armRepository,
  assertUntouched,
  checkoutState,
  filesOf,
  makeDirtyMatrix,
  worktreeTree,
} from "./snapshot_fixtures.ts";

/** The files the run had, as a user would list them (runprov's own directory left out). */
function runFiles(sb: Sandbox, withUntracked: boolean) {
  return filesOf(
    sb.dir,
    (p) => p === ".runprov" || p === "debug.log" || (!withUntracked && p === "notes.txt"),
  );
}

async function stamp(sb: Sandbox, id: string) {
  const r = await sb.runprov(["-q", "stamp", "--run-id", id]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const untracked of ["report", "dirty"] as const) {
  Deno.test(`restore: every file of a dirty run comes back byte-identical (untracked: ${untracked})`, async () => {
    await withSandbox(async (sb) => {
      await makeDirtyMatrix(sb, { untracked });
      const rec = await stamp(sb, "m1");
      assertEquals(rec.git.dirty, true);
      const expected = await runFiles(sb, untracked === "dirty");
      const before = await checkoutState(sb);
      const dir = join(sb.base, "restored");
      const r = await sb.runprov(["restore", "m1", dir]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, `${dir}\n`);
      await assertUntouched(sb, before, "restore");
      const got = await filesOf(dir);
      assertEquals([...got.keys()].sort(), [...expected.keys()].sort());
      assertEquals(got, expected);
      assertEquals(got.has("notes.txt"), untracked === "dirty");
      // The submodule is checked out at the commit the run used.
      const subHead = (await sb.gitIn(join(dir, "lib"), "rev-parse", "HEAD")).trim();
      assertEquals(subHead, rec.git.submodules[0].sha);
      const v = await sb.runprov(["-C", dir, "verify", "m1"]);
      assertEquals(v.code, 0, v.stderr);
      assertMatch(v.stdout, /^ok: this checkout is the code of run m1 \(its snapshot /);
      // And the original checkout still verifies as the run's code.
      assertEquals((await sb.runprov(["verify", "m1"])).code, 0);
      await assertUntouched(sb, before, "verify");
    });
  });
}

Deno.test("restore: a clean run comes back at its recorded commit, detached", async () => {
  await withSandbox(async (sb) => {
    const rec = await stamp(sb, "c1");
    await sb.write("README.md", "edited after the run\n");
    const before = await checkoutState(sb);
    const dir = join(sb.base, "clean");
    const r = await sb.runprov(["restore", "c1", dir]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await sb.gitIn(dir, "rev-parse", "HEAD")).trim(), rec.git.sha);
    assertEquals(await Deno.readTextFile(join(dir, "README.md")), "hello\n");
    assertEquals((await sb.gitIn(dir, "symbolic-ref", "-q", "HEAD").catch(() => "")).trim(), "");
    assertEquals((await sb.runprov(["-C", dir, "verify", "c1"])).code, 0);
    await assertUntouched(sb, before, "restore");
  });
});

Deno.test("restore: the default DIR is next to the repository and printed; a non-empty DIR is refused", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "dirty\n");
    await stamp(sb, "d1");
    const r = await sb.runprov(["restore", "d1"]);
    assertEquals(r.code, 0, r.stderr);
    const dir = join(sb.base, "repo-run-d1");
    assertEquals(r.stdout, `${dir}\n`);
    assertEquals(await Deno.readTextFile(join(dir, "README.md")), "dirty\n");
    const again = await sb.runprov(["restore", "d1"]);
    assertEquals(again.code, 2);
    assertMatch(again.stderr, /exists and is not empty; runprov restore never touches/);
    const busy = join(sb.base, "busy");
    await Deno.mkdir(busy);
    await Deno.writeTextFile(join(busy, "keep.txt"), "mine\n");
    const refused = await sb.runprov(["restore", "d1", busy]);
    assertEquals(refused.code, 2);
    assertEquals([...Deno.readDirSync(busy)].map((e) => e.name), ["keep.txt"]);
    // An empty directory is fine.
    const empty = join(sb.base, "empty");
    await Deno.mkdir(empty);
    assertEquals((await sb.runprov(["restore", "d1", empty])).code, 0);
  });
});

Deno.test("restore --print: only the snapshot commit id, and no worktree", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "dirty\n");
    await stamp(sb, "p1");
    const r = await sb.runprov(["restore", "--print", "p1"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^[0-9a-f]{40}\n$/);
    assertEquals(r.stdout.trim(), (await sb.git("rev-parse", "refs/runprov/snapshots/p1")).trim());
    assertEquals(
      (await sb.git("worktree", "list", "--porcelain")).match(/^worktree /gm)?.length,
      1,
    );
    assertEquals((await sb.runprov(["restore", "--print", "p1", "x"])).code, 2);
    const unknown = await sb.runprov(["restore", "--print", "nosuch"]);
    assertEquals(unknown.code, 2);
    assertMatch(unknown.stderr, /no run "nosuch"/);
  });
});

Deno.test("restore: a clone without the record restores from a fetched snapshot ref", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb, { submodule: false });
    await stamp(sb, "sh1");
    const expected = await worktreeTree(sb, false);
    assertEquals((await sb.runprov(["restore", "--print", "sh1"])).code, 0);
    const clone = join(sb.base, "clone");
    await sb.gitIn(sb.base, "clone", "-q", sb.dir, clone);
    await sb.gitIn(clone, "fetch", "-q", "origin", "refs/runprov/*:refs/runprov/*");
    const dir = join(sb.base, "from-clone");
    const r = await sb.runprov(["restore", "sh1", dir], { cwd: clone });
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await sb.gitIn(dir, "rev-parse", "HEAD^{tree}")).trim(), expected);
    const v = await sb.runprov(["-C", dir, "verify", "sh1"], { cwd: clone });
    assertEquals(v.code, 0, v.stderr);
  });
});

Deno.test("restore: SHA-256 repositories", async () => {
  await withSandbox(async (sb) => {
    await Deno.remove(join(sb.dir, ".git"), { recursive: true });
    await sb.git("init", "-q", "-b", "main", "--object-format=sha256");
    await sb.write("train.py", "lr = 1\n");
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "init");
    await sb.write("train.py", "lr = 2\n");
    await stamp(sb, "h1");
    const dir = join(sb.base, "h");
    const r = await sb.runprov(["restore", "h1", dir]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch((await sb.gitIn(dir, "rev-parse", "HEAD")).trim(), /^[0-9a-f]{64}$/);
    assertEquals(await Deno.readTextFile(join(dir, "train.py")), "lr = 2\n");
    assertEquals((await sb.runprov(["-C", dir, "verify", "h1"])).code, 0);
  }, { commit: false });
});

Deno.test("restore, diff: 16 concurrent restore --print and diff while the user commits: no commit fails", async () => {
  await withSandbox(async (sb) => {
    for (let i = 0; i < 300; i++) await sb.write(`src/f${i}.py`, `x = ${i}\n`);
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "files");
    for (let i = 0; i < 16; i++) await sb.write(`src/f${i}.py`, `x = -${i}\n`);
    // 16 runs of one dirty tree: each run's snapshot is its own commit (its message names it).
    await Promise.all(Array.from({ length: 16 }, (_, i) => stamp(sb, `r${i}`)));
    const commits = run("bash", [
      "-c",
      'fail=0; for i in $(seq 40); do echo "$i" > counter.txt; git add counter.txt; ' +
      'git commit -q -m "c$i" || fail=$((fail+1)); done; echo "$fail"',
    ], { cwd: sb.dir, env: sb.env });
    let done = false;
    const finished = commits.then((r) => {
      done = true;
      return r;
    });
    let waves = 0;
    while (!done || waves === 0) {
      // Each wave: 16 runprov processes at once, half of them building a fresh snapshot.
      if (waves > 0) await sb.git("update-ref", "-d", `refs/runprov/snapshots/r${waves % 16}`);
      const readers = await Promise.all(Array.from({ length: 16 }, (_, i) => {
        if (i % 2 === 0) return sb.runprov(["restore", "--print", `r${i}`]);
        return sb.runprov(["diff", "--stat", `r${i}`, i % 4 === 1 ? `r${i - 1}` : "WORKTREE"]);
      }));
      // The runs' code is identical (diff 0); the worktree gains counter.txt commits (0 or 1).
      for (const x of readers) assert(x.code === 0 || x.code === 1, x.stderr);
      assert(readers.every((x) => x.stderr === ""), readers.map((x) => x.stderr).join(""));
      waves++;
    }
    const r = await finished;
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), "0", `failed commits: ${r.stderr}`);
    assert(!r.stderr.includes("index.lock"), r.stderr);
  });
});

Deno.test("restore, diff, verify: hooks, filters and diff programs the repository names never run", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb, { untracked: "dirty", submodule: false });
    const canary = join(sb.base, "CANARY");
    await armRepository(sb, canary);
    for (
      const argv of [
        ["-q", "stamp", "--run-id", "h1"],
        ["restore", "--print", "h1"],
        ["restore", "h1", join(sb.base, "h1")],
        ["verify", "h1"],
        ["-C", join(sb.base, "h1"), "verify", "h1"],
        ["diff", "h1", "WORKTREE"],
        ["diff", "HEAD", "h1"],
      ]
    ) {
      const r = await sb.runprov(argv);
      const ok = argv[0] === "diff" && argv[1] === "HEAD" ? 1 : 0;
      assertEquals(r.code, ok, `${argv.join(" ")}: ${r.stderr}`);
      assertEquals(await Deno.readTextFile(canary).catch(() => ""), "", argv.join(" "));
    }
  });
});
