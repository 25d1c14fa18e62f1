/**
 * `runprov diff A B`: the code difference between two runs' snapshots (uncommitted edits
 * count), HEAD and WORKTREE as sides, a header of the other record differences, git's
 * exit-code convention, and the user's checkout left alone.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { type Sandbox, withSandbox } from "./helpers.ts";
import { diffHeader, type Side } from "../lib/snapshot/compare.ts";
import { assertUntouched, checkoutState, makeDirtyMatrix } from "./snapshot_fixtures.ts";

async function exec(sb: Sandbox, id: string, argv: string[]) {
  const r = await sb.runprov(["-q", "exec", "--run-id", id, "--", ...argv]);
  assertEquals(r.code, 0, r.stderr);
}

Deno.test("diff: two runs on one commit differ by their uncommitted edits (exit 1)", async () => {
  await withSandbox(async (sb) => {
    await sb.write("train.py", "lr = 0.1\nepochs = 3\n");
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "train");
    await sb.write("train.py", "lr = 0.2\nepochs = 3\n");
    await exec(sb, "a1", ["true"]);
    await sb.write("train.py", "lr = 0.3\nepochs = 3\n");
    await exec(sb, "b1", ["sh", "-c", "exit 0"]);
    const before = await checkoutState(sb);
    const r = await sb.runprov(["diff", "a1", "b1"]);
    assertEquals(r.code, 1, r.stderr);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], "# runprov diff a1 b1");
    assertMatch(lines[1], /^# a1: [0-9a-f]{12} \(snapshot: [0-9a-f]{12} plus the run's patch\)$/);
    assertMatch(r.stdout, /^# command: +\["true"\] -> \["sh","-c","exit 0"\]$/m);
    assertMatch(r.stdout, /^# created_at: /m);
    assert(!/^# branch:/m.test(r.stdout), "same branch is not listed");
    assertMatch(r.stdout, /^diff --git a\/train.py b\/train.py\n/m);
    assertMatch(r.stdout, /^-lr = 0\.2\n\+lr = 0\.3$/m);
    const stat = await sb.runprov(["diff", "--stat", "--no-header", "a1", "b1"]);
    assertEquals(stat.code, 1);
    assertMatch(
      stat.stdout,
      /^ train.py \| 2 \+-\n 1 file changed, 1 insertion\(\+\), 1 deletion\(-\)\n$/,
    );
    const names = await sb.runprov(["diff", "--name-only", "a1", "b1"]);
    assertEquals([names.code, names.stdout], [1, "train.py\n"]);
    await assertUntouched(sb, before, "diff");
  });
});

Deno.test("diff: a dirty run and a later clean run of the same code are identical (exit 0)", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb, { submodule: false });
    await exec(sb, "dirty", ["true"]);
    await sb.git("add", "-A", ".");
    await sb.git("reset", "-q", "--", "notes.txt"); // untracked: not part of the code
    await sb.git("commit", "-qm", "the run's changes");
    await exec(sb, "clean", ["true"]);
    const r = await sb.runprov(["diff", "dirty", "clean"]);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(r.stdout, /^# describe: .*-dirty -> /m);
    assertMatch(r.stdout, /^# code: identical$/m);
    assert(!r.stdout.includes("diff --git"));
    assertEquals((await sb.runprov(["diff", "--name-only", "clean", "dirty"])).stdout, "");
  });
});

Deno.test("diff: HEAD and WORKTREE are this checkout's commit and its state now", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "edited\n");
    await sb.write("notes.txt", "untracked\n");
    await exec(sb, "w1", ["true"]);
    const before = await checkoutState(sb);
    const same = await sb.runprov(["diff", "w1", "WORKTREE"]);
    assertEquals(same.code, 0, same.stdout + same.stderr);
    const head = await sb.runprov(["diff", "--no-header", "HEAD", "WORKTREE"]);
    assertEquals(head.code, 1);
    assertMatch(head.stdout, /^-hello\n\+edited$/m);
    assert(!head.stdout.includes("notes.txt"), "untracked files do not count by default");
    const back = await sb.runprov(["diff", "--name-only", "w1", "HEAD"]);
    assertEquals([back.code, back.stdout], [1, "README.md\n"]);
    await assertUntouched(sb, before, "diff HEAD/WORKTREE");
    // With untracked: "dirty" the worktree's untracked files are part of its code.
    await sb.write("runprov.jsonc", '{ "untracked": "dirty" }\n');
    const counted = await sb.runprov(["diff", "--name-only", "HEAD", "WORKTREE"]);
    assertEquals(counted.stdout.split("\n").filter(Boolean).sort(), [
      "README.md",
      "notes.txt",
      "runprov.jsonc",
    ]);
  });
});

Deno.test("diff: usage errors are exit 2", async () => {
  await withSandbox(async (sb) => {
    await exec(sb, "u1", ["true"]);
    for (
      const [argv, re] of [
        [["diff", "u1"], /give two runs/],
        [["diff", "u1", "nosuch"], /no run "nosuch"/],
        [["diff", "u1", "a b"], /invalid run id/],
        [["diff", "--stat", "--name-only", "u1", "u1"], /do not go together/],
        [["diff", "--bogus", "u1", "u1"], /unknown option --bogus/],
      ] as const
    ) {
      const r = await sb.runprov([...argv]);
      assertEquals(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
      assertMatch(r.stderr, re);
      assertEquals(r.stdout, "");
    }
  });
});

Deno.test("diff: the header lists only differing record facts, control characters visible", () => {
  const rec = (over: Record<string, unknown>) =>
    ({
      run_id: "x",
      created_at: "2026-01-01T00:00:00Z",
      git: { branch: "main", describe: "v1" },
      command: { argv: ["python", "t.py"] },
      policy: { mode: "warn", verdict: "clean" },
      host: { hostname: "gpu1" },
      ...over,
    }) as unknown as Side["record"];
  const a: Side = { label: "a", commit: "a".repeat(40), what: "x", record: rec({}) };
  const b: Side = {
    label: "b",
    commit: "b".repeat(40),
    what: "y",
    record: rec({ host: { hostname: "gpu\x1b[2" }, git: { branch: "exp", describe: "v1" } }),
  };
  assertEquals(diffHeader(a, b).slice(3), [
    "# branch:     main -> exp",
    '# host:       gpu1 -> "gpu\\u001b[2"',
  ]);
  const head: Side = { label: "HEAD", commit: "c".repeat(40), what: "z", record: null };
  assertEquals(diffHeader(a, { ...head, branch: "main", describe: "v2" }).slice(3), [
    "# describe:   v1 -> v2",
  ]);
});
