/**
 * `runprov rerun ID`: the recorded command runs again, in the recorded directory, on the
 * run's exact code in a fresh worktree, through exec's path (record, exit code, signals),
 * as a new run whose record says `rerun_of`; the user's checkout is never touched.
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { runprovArgv, type Sandbox, withSandbox } from "./helpers.ts";
import { assertUntouched, checkoutState } from "./snapshot_fixtures.ts";

async function waitFor(path: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await Deno.stat(path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${path}`);
}

const record = async (sb: Sandbox, id: string) =>
  JSON.parse(await Deno.readTextFile(join(sb.dir, ".runprov", "runs", `${id}.json`)));

/** A project with `src/train.py`-like script: prints its lr, its cwd and its arguments. */
async function project(sb: Sandbox): Promise<void> {
  await sb.write("src/train.sh", 'echo "lr=$(cat ../conf/lr) cwd=$(pwd) args=$*" > out.txt\n');
  await sb.write("conf/lr", "0.1\n");
  await sb.git("add", ".");
  await sb.git("commit", "-qm", "project");
}

Deno.test("rerun: the recorded command runs again in its directory, on the run's exact code", async () => {
  await withSandbox(async (sb) => {
    await project(sb);
    await sb.write("conf/lr", "0.2\n"); // the run's uncommitted edit
    const first = await sb.runprov(
      ["-q", "exec", "--run-id", "orig", "--name", "base", "--", "sh", "train.sh", "--seed", "1"],
      { cwd: join(sb.dir, "src") },
    );
    assertEquals(first.code, 0, first.stderr);
    // The user moves on: the edit is gone and another commit is made.
    await sb.git("checkout", "-q", "--", "conf/lr");
    await sb.write("conf/lr", "0.9\n");
    await sb.git("commit", "-qam", "later");
    await sb.write("src/train.sh", "echo broken > out.txt\n");
    const before = await checkoutState(sb);
    const r = await sb.runprov(["rerun", "orig", "--run-id", "again", "--", "--extra"]);
    assertEquals(r.code, 0, r.stderr);
    await assertUntouched(sb, before, "rerun");
    const dir = join(sb.base, "repo-rerun-again");
    assertMatch(r.stderr, /rerun of orig as run again in .*repo-rerun-again\/src/);
    assertEquals(
      await Deno.readTextFile(join(dir, "src", "out.txt")),
      `lr=0.2 cwd=${join(dir, "src")} args=--seed 1 --extra\n`,
    );
    const rec = await record(sb, "again");
    const orig = await record(sb, "orig");
    assertEquals(rec.rerun_of, "orig");
    assertEquals(orig.rerun_of, null);
    assertEquals(rec.name, "base");
    assertEquals(rec.status, "succeeded");
    assertEquals(rec.command.argv, ["sh", "train.sh", "--seed", "1", "--extra"]);
    assertEquals(rec.command.cwd, join(dir, "src"));
    // Its commit is the snapshot it ran (clean), whose parent is the original's commit.
    const snap = (await sb.git("rev-parse", "refs/runprov/snapshots/orig")).trim();
    assertEquals([rec.git.sha, rec.git.dirty], [snap, false]);
    assertEquals((await sb.git("rev-parse", `${snap}^`)).trim(), orig.git.sha);
    // Same code: diff says so; verify accepts the rerun in its worktree.
    const d = await sb.runprov(["diff", "orig", "again"]);
    assertEquals(d.code, 0, d.stdout + d.stderr);
    const v = await sb.runprov(["-C", dir, "verify", "again"]);
    assertEquals(v.code, 0, v.stderr);
    const show = await sb.runprov(["show", "again"]);
    assertMatch(show.stdout, /^rerun of +orig \(ran its snapshot [0-9a-f]{12}\)$/m);
  });
});

Deno.test("rerun: the command's exit code, failure and signals are exec's", async () => {
  await withSandbox(async (sb) => {
    const first = await sb.runprov(["-q", "exec", "--run-id", "code1", "--", "sh", "-c", "exit 7"]);
    assertEquals(first.code, 7);
    const r = await sb.runprov(["-q", "rerun", "code1", "--run-id", "code2"]);
    assertEquals(r.code, 7, r.stderr);
    const rec = await record(sb, "code2");
    assertEquals([rec.status, rec.command.exit_code, rec.rerun_of], ["failed", 7, "code1"]);
    const missing = await sb.runprov(["-q", "exec", "--run-id", "nf1", "--", "no-such-cmd-x"]);
    assertEquals(missing.code, 127);
    assertEquals((await sb.runprov(["-q", "rerun", "nf1", "--run-id", "nf2"])).code, 127);

    // A command that waits for SIGTERM: sent to runprov, it reaches the child both times.
    const script = 'trap "echo TERM > got; exit 0" TERM; touch ready; while :; do sleep 0.05; done';
    for (
      const [args, dir] of [
        [["exec", "--run-id", "sig1", "--", "sh", "-c", script], sb.dir],
        [["rerun", "sig1", "--run-id", "sig2"], join(sb.base, "repo-rerun-sig2")],
      ] as const
    ) {
      const child = sb.spawnRunprov([...args]);
      await waitFor(join(dir, "ready"));
      child.kill("SIGTERM");
      const out = await child.output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertEquals(await Deno.readTextFile(join(dir, "got")), "TERM\n");
    }
    assertEquals((await record(sb, "sig2")).status, "succeeded");
  });
});

Deno.test("rerun: refuses a run without a recorded command, or an unknown run (exit 2)", async () => {
  await withSandbox(async (sb) => {
    assertEquals((await sb.runprov(["-q", "stamp", "--run-id", "st1"])).code, 0);
    const r = await sb.runprov(["rerun", "st1"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /run st1 has no recorded command/);
    assertMatch(r.stderr, /hint: restore its code with runprov restore st1/);
    const none = await sb.runprov(["rerun", "nosuch"]);
    assertEquals(none.code, 2);
    assertMatch(none.stderr, /no record of run nosuch/);
    assertEquals([...Deno.readDirSync(sb.base)].map((e) => e.name).sort(), ["home", "repo"]);
  });
});

Deno.test("rerun --in: a new dir, or an earlier rerun's clean worktree; anything else refused", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "dirty\n");
    const first = await sb.runprov([
      "-q",
      "exec",
      "--run-id",
      "in1",
      "--",
      "sh",
      "-c",
      "cat README.md >> seen",
    ]);
    assertEquals(first.code, 0, first.stderr);
    const dir = join(sb.base, "work");
    assertEquals(
      (await sb.runprov(["-q", "rerun", "in1", "--in", dir, "--run-id", "in2"])).code,
      0,
    );
    assertEquals(
      (await sb.runprov(["-q", "rerun", "in1", "--in", dir, "--run-id", "in3"])).code,
      0,
    );
    assertEquals(await Deno.readTextFile(join(dir, "seen")), "dirty\ndirty\n");
    await Deno.writeTextFile(join(dir, "README.md"), "tampered\n");
    const dirty = await sb.runprov(["-q", "rerun", "in1", "--in", dir, "--run-id", "in4"]);
    assertEquals(dirty.code, 2);
    assertMatch(dirty.stderr, /has uncommitted changes/);
    const other = join(sb.base, "other");
    await Deno.mkdir(other);
    await Deno.writeTextFile(join(other, "x"), "x");
    const foreign = await sb.runprov(["-q", "rerun", "in1", "--in", other, "--run-id", "in5"]);
    assertEquals(foreign.code, 2);
    assertMatch(foreign.stderr, /is not a checkout of the run's snapshot/);
  });
});

Deno.test("rerun: a taken --run-id is refused before anything is restored; no record replaced", async () => {
  await withSandbox(async (sb) => {
    await project(sb);
    assertEquals((await sb.runprov(["-q", "exec", "--run-id", "t1", "--", "true"])).code, 0);
    assertEquals((await sb.runprov(["-q", "exec", "--run-id", "t2", "--", "true"])).code, 0);
    const before = await Deno.readTextFile(join(sb.dir, ".runprov", "runs", "t2.json"));
    const dir = join(sb.base, "never");
    const r = await sb.runprov(["rerun", "t1", "--run-id", "t2", "--in", dir]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, /run t2 already has a record there/);
    assertEquals(await Deno.readTextFile(join(sb.dir, ".runprov", "runs", "t2.json")), before);
    assertEquals(await Deno.stat(dir).then(() => true, () => false), false, "nothing restored");
  });
});

Deno.test("rerun: inside a live run it records a child run naming its parent", async () => {
  await withSandbox(async (sb) => {
    await project(sb);
    assertEquals((await sb.runprov(["-q", "exec", "--run-id", "p1", "--", "true"])).code, 0);
    const r = await sb.runprov([
      "-q",
      "exec",
      "--run-id",
      "outer",
      "--",
      "sh",
      "-c",
      '"$0" "$@" -q rerun p1 --run-id inner',
      ...runprovArgv(),
    ]);
    assertEquals(r.code, 0, r.stderr);
    const inner = await record(sb, "inner");
    assertEquals([inner.parent, inner.rerun_of, inner.status], ["outer", "p1", "succeeded"]);
    assertEquals((await record(sb, "outer")).parent, null);
  });
});
