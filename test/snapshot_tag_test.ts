/**
 * Run tags and listings with snapshots: a dirty run's `run/<id>` goes on its snapshot (so
 * `git checkout run/<id>` is exactly what ran), `verify` accepts both forms, and
 * `runs`/`show` say whether a run has a snapshot.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { type Sandbox, withSandbox } from "./helpers.ts";
import {
  assertUntouched,
  checkoutState,
  makeDirtyMatrix,
  worktreeTree,
} from "./snapshot_fixtures.ts";

async function stamp(sb: Sandbox, id: string) {
  const r = await sb.runprov(["-q", "stamp", "--run-id", id]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const rev = async (sb: Sandbox, what: string) => (await sb.git("rev-parse", what)).trim();

Deno.test("tag: a dirty run's tag is on its snapshot; the message names the recorded commit and patch", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb, { submodule: false });
    const rec = await stamp(sb, "t1");
    const expected = await worktreeTree(sb, false);
    const before = await checkoutState(sb);
    const r = await sb.runprov(["tag", "--run", "t1", "--strict", "--allow-dirty", "ablation"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /tagging its snapshot [0-9a-f]{12} .*git checkout run\/t1 gives/);
    await assertUntouched(sb, before, "tag", ["refs/tags/run/t1"]);
    const snap = await rev(sb, "refs/runprov/snapshots/t1");
    assertEquals(await rev(sb, "run/t1^{commit}"), snap);
    assertEquals(await rev(sb, "run/t1^{tree}"), expected);
    const msg = await sb.git("tag", "-l", "--format=%(contents)", "run/t1");
    assertMatch(msg, new RegExp(`Runprov-Commit: ${rec.git.sha}\n`));
    assertMatch(msg, new RegExp(`Runprov-Patch-Sha256: ${rec.git.patch.sha256}\n`));
    assertMatch(msg, new RegExp(`Runprov-Snapshot: ${snap}\n`));
    // Idempotent: again is a note, exit 0; the tag does not move.
    const again = await sb.runprov(["tag", "--run", "t1", "--allow-dirty", "ablation"]);
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stderr, /already on/);

    // git checkout run/t1 (here: a worktree of the tag) is the run's code; verify agrees,
    // also with the record gone (from the tag's trailers), and in the original checkout.
    const wt = join(sb.base, "wt");
    await sb.git("worktree", "add", "-q", "--detach", wt, "run/t1");
    assertEquals((await sb.runprov(["-C", wt, "verify", "t1"])).code, 0);
    assertEquals((await sb.runprov(["verify", "t1"])).code, 0);
    await Deno.rename(join(sb.dir, ".runprov"), join(sb.base, "records"));
    await sb.git("update-ref", "-d", "refs/runprov/snapshots/t1");
    const fromTag = await sb.runprov(["-C", wt, "verify", "t1"]);
    assertEquals(fromTag.code, 0, fromTag.stderr);
    assertMatch(fromTag.stdout, /its snapshot/);
    assertEquals((await sb.runprov(["verify", "t1"])).code, 0);
  });
});

Deno.test("tag: a clean run's tag stays on its recorded commit; an older tag on a dirty run's commit is kept", async () => {
  await withSandbox(async (sb) => {
    const rec = await stamp(sb, "c1");
    assertEquals((await sb.runprov(["tag", "--run", "c1"])).code, 0);
    assertEquals(await rev(sb, "run/c1^{commit}"), rec.git.sha);
    assertEquals(await sb.git("for-each-ref", "refs/runprov/"), "");
    // A dirty run tagged on its recorded commit (as runprov did before snapshots): unchanged.
    await sb.write("README.md", "dirty\n");
    const d = await stamp(sb, "d1");
    await sb.git("tag", "-a", "-m", "old form", "run/d1", d.git.sha);
    const r = await sb.runprov(["tag", "--run", "d1"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /already on/);
    assertEquals(await rev(sb, "run/d1^{commit}"), d.git.sha);
  });
});

Deno.test("tag: a dirty run without a complete patch is tagged on its commit, saying why", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "patch": { "max_bytes": 30 } }\n');
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "cfg");
    await sb.write("README.md", "x\n".repeat(100));
    const rec = await stamp(sb, "cut1");
    const r = await sb.runprov(["tag", "--run", "cut1"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /alone does not reproduce it.*no snapshot to tag instead: .*cut at 30/);
    assertEquals(await rev(sb, "run/cut1^{commit}"), rec.git.sha);
  });
});

Deno.test("exec --tag: a dirty run's tag goes on its snapshot too", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "experiment\n");
    const r = await sb.runprov(["-q", "exec", "--run-id", "e1", "--tag", "--", "true"]);
    assertEquals(r.code, 0, r.stderr);
    const snap = await rev(sb, "refs/runprov/snapshots/e1");
    assertEquals(await rev(sb, "run/e1^{commit}"), snap);
    assertEquals(await sb.git("show", "run/e1:README.md"), "experiment\n");
  });
});

Deno.test("runs and show: whether a run has a snapshot, can have one, or cannot", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "patch": { "max_bytes": 300 } }\n');
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "cfg");
    await stamp(sb, "clean1");
    await sb.write("README.md", "small edit\n");
    await stamp(sb, "dirty1");
    await sb.write("README.md", "x\n".repeat(500));
    await stamp(sb, "cut1");
    const list = async () =>
      Object.fromEntries(
        JSON.parse((await sb.runprov(["runs", "--json"])).stdout).map((
          e: { id: string; snapshot: string | null; snapshot_problem: string | null },
        ) => [e.id, [e.snapshot, e.snapshot_problem !== null]]),
      );
    assertEquals(await list(), {
      clean1: [null, false],
      dirty1: [null, false],
      cut1: [null, true],
    });
    const built = (await sb.runprov(["restore", "--print", "dirty1"])).stdout.trim();
    assertEquals((await list()).dirty1, [built, false]);
    const table = (await sb.runprov(["runs"])).stdout.split("\n");
    const col = (id: string) => table.find((l) => l.startsWith(`${id} `))!.split(/\s+/)[5];
    assertEquals([col("clean1"), col("dirty1"), col("cut1")], ["-", "yes", "no"]);

    const show = (await sb.runprov(["show", "dirty1"])).stdout;
    assertMatch(show, new RegExp(`^snapshot +${built} \\(refs/runprov/snapshots/dirty1: `, "m"));
    assertMatch((await sb.runprov(["show", "clean1"])).stdout, /^snapshot +not built yet/m);
    assertMatch(
      (await sb.runprov(["show", "cut1"])).stdout,
      /^snapshot +none possible: .*cut at 300/m,
    );
    // A tag on the snapshot is the run's own tag, not "on another commit".
    assertEquals((await sb.runprov(["tag", "--run", "dirty1"])).code, 0);
    assertMatch(
      (await sb.runprov(["show", "dirty1"])).stdout,
      /^tag +run\/dirty1 \(on its snapshot /m,
    );
    const entry = JSON.parse((await sb.runprov(["runs", "--json"])).stdout)
      .find((e: { id: string }) => e.id === "dirty1");
    assert(!entry.tag_mismatch, JSON.stringify(entry));
  });
});
