/**
 * Run snapshots (lib/snapshot/build.ts) on real repositories: the snapshot's tree is what git
 * itself makes of the run's working tree, it is built without touching the user's checkout,
 * the same run always gives the same commit, and runs that cannot have one say why.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { type Sandbox, withSandbox } from "./helpers.ts";
import { Git } from "../lib/git/client.ts";
import { denoGitRunner, type GitRunner } from "../lib/git/runner.ts";
import { readRecordFile } from "../lib/run/store.ts";
import { fastImportPath, snapshotOf, snapshotProblem, snapshotRef } from "../lib/snapshot/build.ts";
import { RunprovError } from "../lib/errors.ts";
import { checkoutState, makeDirtyMatrix, worktreeTree } from "./snapshot_fixtures.ts";

async function stamp(sb: Sandbox, id: string, extra: string[] = []) {
  const r = await sb.runprov(["-q", "stamp", "--run-id", id, ...extra]);
  assertEquals(r.code, 0, r.stderr);
  return (await readRecordFile(join(sb.dir, ".runprov", "runs", `${id}.json`)))!;
}

function gitOf(sb: Sandbox, runner?: GitRunner) {
  return new Git({ cwd: sb.dir, env: sb.env, runner });
}

async function snapshot(sb: Sandbox, id: string, git = gitOf(sb)) {
  const stored = await readRecordFile(join(sb.dir, ".runprov", "runs", `${id}.json`));
  return await snapshotOf(git, stored!, { top: sb.dir });
}

async function objectCount(sb: Sandbox): Promise<string> {
  return await sb.git("count-objects", "-v");
}

Deno.test("snapshot: a clean run's snapshot is its recorded commit, with no new objects", async () => {
  await withSandbox(async (sb) => {
    const rec = await stamp(sb, "clean1");
    const objects = await objectCount(sb);
    const s = await snapshot(sb, "clean1");
    assertEquals([s.commit, s.clean, s.created], [rec.record.git.sha, true, true]);
    assertEquals((await sb.git("rev-parse", snapshotRef("clean1"))).trim(), rec.record.git.sha);
    assertEquals(await objectCount(sb), objects);
    const again = await snapshot(sb, "clean1");
    assertEquals([again.commit, again.created], [s.commit, false]);
  });
});

Deno.test("snapshot: a dirty run's tree is exactly its working tree (every kind of change)", async () => {
  await withSandbox(async (sb) => {
    const base = await makeDirtyMatrix(sb);
    const expected = await worktreeTree(sb, false);
    const rec = await stamp(sb, "dirty1");
    assertEquals(rec.record.git.dirty, true);
    const s = await snapshot(sb, "dirty1");
    assertEquals((await sb.git("rev-parse", `${s.commit}^{tree}`)).trim(), expected);
    assertEquals((await sb.git("rev-parse", `${s.commit}^@`)).trim(), base);
    const message = await sb.git("log", "-1", "--format=%B", s.commit);
    assertMatch(message, /^runprov snapshot of run dirty1\n/);
    assertMatch(message, new RegExp(`Runprov-Commit: ${base}`));
    assertMatch(message, new RegExp(`Runprov-Patch-Sha256: ${rec.record.git.patch!.sha256}`));
    // Ignored and untracked (under "report") files are not in it; the submodule pointer is.
    const names = (await sb.git("ls-tree", "-r", "--name-only", s.commit)).split("\n");
    assert(!names.includes("debug.log") && !names.includes("notes.txt"), names.join(","));
    const sub = (await sb.gitIn(join(sb.dir, "lib"), "rev-parse", "HEAD")).trim();
    assertMatch(await sb.git("ls-tree", s.commit, "lib"), new RegExp(`^160000 commit ${sub}\t`));
  });
});

Deno.test("snapshot: untracked files are in it only when they counted (untracked: dirty)", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb, { untracked: "dirty", submodule: false });
    const expected = await worktreeTree(sb, true);
    const rec = await stamp(sb, "unt1");
    assertEquals([rec.record.git.untracked_counts, rec.record.git.patch?.untracked], [true, true]);
    const s = await snapshot(sb, "unt1");
    assertEquals((await sb.git("rev-parse", `${s.commit}^{tree}`)).trim(), expected);
    assertEquals(await sb.git("show", `${s.commit}:notes.txt`), "untracked notes\n");
  });
  await withSandbox(async (sb) => {
    // Only an untracked file makes this run dirty: the patch holds just that file.
    await sb.write("runprov.jsonc", '{ "untracked": "dirty" }\n');
    await sb.git("add", "runprov.jsonc");
    await sb.git("commit", "-qm", "cfg");
    await sb.write("data/new file.csv", "a,b\n1,2\n");
    const rec = await stamp(sb, "unt2");
    assertEquals([rec.record.git.dirty, rec.record.git.changed.length], [true, 0]);
    const s = await snapshot(sb, "unt2");
    assertEquals(await sb.git("show", `${s.commit}:data/new file.csv`), "a,b\n1,2\n");
  });
});

Deno.test("snapshot: building it leaves the user's index, HEAD, refs and status alone", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb);
    await stamp(sb, "keep1");
    const before = await checkoutState(sb);
    const envs: Record<string, string>[] = [];
    const recording: GitRunner = (args, opts) => {
      envs.push({ ...opts.env, ARGV: args.join(" ") });
      return denoGitRunner(args, opts);
    };
    await snapshot(sb, "keep1", gitOf(sb, recording));
    assertEquals(await checkoutState(sb), before);
    // Every git that reads or writes an index was pointed at a temporary one.
    for (const e of envs.filter((e) => / (apply --cached|update-index|ls-files) /.test(e.ARGV))) {
      assert(e.GIT_INDEX_FILE && !e.GIT_INDEX_FILE.startsWith(sb.dir), e.ARGV);
    }
    assert(!envs.some((e) => / (diff|commit|checkout|reset|stash) /.test(` ${e.ARGV} `)));
  });
});

Deno.test("snapshot: the same run always gives the same commit, whoever builds it", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb, { submodule: false });
    await stamp(sb, "det1");
    const first = await snapshot(sb, "det1");
    await sb.git("update-ref", "-d", snapshotRef("det1"));
    const other = new Git({
      cwd: sb.dir,
      env: { ...sb.env, GIT_COMMITTER_NAME: "Someone Else", GIT_COMMITTER_DATE: "2030-01-01" },
    });
    const second = await snapshot(sb, "det1", other);
    assertEquals(second.commit, first.commit);
    // Another clone with the record and its patch builds the very same commit.
    const clone = join(sb.base, "clone");
    await sb.gitIn(sb.base, "clone", "-q", sb.dir, clone);
    const stored = (await readRecordFile(join(sb.dir, ".runprov", "runs", "det1.json")))!;
    const third = await snapshotOf(new Git({ cwd: clone, env: sb.env }), stored, { top: clone });
    assertEquals(third.commit, first.commit);
  });
});

Deno.test("snapshot: concurrent builds of one run agree on one ref", async () => {
  await withSandbox(async (sb) => {
    await makeDirtyMatrix(sb, { submodule: false });
    await stamp(sb, "race1");
    const all = await Promise.all(Array.from({ length: 8 }, () => snapshot(sb, "race1")));
    assertEquals(new Set(all.map((s) => s.commit)).size, 1);
    assertEquals(all.filter((s) => s.created).length >= 1, true);
    assertEquals((await sb.git("rev-parse", snapshotRef("race1"))).trim(), all[0].commit);
  });
});

Deno.test("snapshot: a truncated or missing patch is exit 2 and no ref", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "patch": { "max_bytes": 40 } }\n');
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "cfg");
    await sb.write("README.md", "line\n".repeat(100));
    const rec = await stamp(sb, "cut1");
    assertMatch(snapshotProblem(rec.record)!, /cut at 40 bytes/);
    await snapshot(sb, "cut1").then(
      () => assert(false, "no snapshot expected"),
      (e) => {
        assert(e instanceof RunprovError);
        assertEquals(e.exitCode, 2);
        assertMatch(e.message, /cannot have a snapshot: .*cut at 40 bytes/);
      },
    );
    const refs = await sb.git("for-each-ref", "refs/runprov/");
    assertEquals(refs, "");
  });
  await withSandbox(async (sb) => {
    await sb.write("README.md", "changed\n");
    const rec = await stamp(sb, "gone1");
    await Deno.remove(rec.record.git.patch!.path);
    await snapshot(sb, "gone1").then(() => assert(false), (e) => {
      assertEquals(e.exitCode, 2);
      assertMatch(e.message, /patch is missing/);
    });
    await stamp(sb, "edit1");
    const p = join(sb.dir, ".runprov", "runs", "edit1.patch");
    await Deno.writeTextFile(p, (await Deno.readTextFile(p)).replace("changed", "chaNged"));
    await snapshot(sb, "edit1").then(() => assert(false), (e) => {
      assertEquals(e.exitCode, 2);
      assertMatch(e.message, /is not the one the run recorded/);
    });
  });
});

Deno.test("snapshot: a commit missing from a shallow clone is exit 4 naming git fetch --unshallow", async () => {
  await withSandbox(async (sb) => {
    await sb.write("a.txt", "1\n");
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "two");
    await sb.git("checkout", "-q", "HEAD~1");
    await sb.write("README.md", "dirty at the old commit\n");
    await stamp(sb, "deep1");
    await sb.git("checkout", "-q", "--", "README.md");
    await sb.git("checkout", "-q", "main");
    const shallow = join(sb.base, "shallow");
    await sb.gitIn(sb.base, "clone", "-q", "--depth", "1", `file://${sb.dir}`, shallow);
    const stored = (await readRecordFile(join(sb.dir, ".runprov", "runs", "deep1.json")))!;
    const git = new Git({ cwd: shallow, env: sb.env });
    await snapshotOf(git, stored, { top: shallow, shallow: true }).then(
      () => assert(false),
      (e) => {
        assertEquals(e.exitCode, 4);
        assertMatch(e.message, /commit [0-9a-f]{40} is not in this repository \(this is a shallow/);
        assertMatch(e.hint, /git fetch --unshallow/);
      },
    );
    assertEquals(await sb.gitIn(shallow, "for-each-ref", "refs/runprov/"), "");
  });
});

Deno.test("snapshot: an existing ref holding another commit is exit 5 and is never moved", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "changed\n");
    await stamp(sb, "own1");
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    await sb.git("update-ref", snapshotRef("own1"), head);
    await snapshot(sb, "own1").then(() => assert(false), (e) => {
      assertEquals(e.exitCode, 5);
      assertMatch(e.message, /already holds .* not run own1's snapshot/);
    });
    assertEquals((await sb.git("rev-parse", snapshotRef("own1"))).trim(), head);
  });
});

Deno.test("snapshot: SHA-256 repositories work (64-hex ids throughout)", async () => {
  await withSandbox(async (sb) => {
    await Deno.remove(join(sb.dir, ".git"), { recursive: true });
    await sb.git("init", "-q", "-b", "main", "--object-format=sha256");
    await sb.write("README.md", "hello\n");
    await sb.write("bin.dat", "\0\x01");
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "init");
    await sb.write("README.md", "hello again\n");
    await sb.write("new.txt", "new\n");
    await sb.git("add", "new.txt");
    const expected = await worktreeTree(sb, false);
    const rec = await stamp(sb, "s256");
    assertMatch(rec.record.git.sha, /^[0-9a-f]{64}$/);
    const s = await snapshot(sb, "s256");
    assertMatch(s.commit, /^[0-9a-f]{64}$/);
    assertEquals((await sb.git("rev-parse", `${s.commit}^{tree}`)).trim(), expected);
  }, { commit: false });
});

Deno.test("snapshot: fast-import paths are quoted byte by byte", () => {
  assertEquals(fastImportPath("plain/a.txt"), '"plain/a.txt"');
  assertEquals(fastImportPath('a "b"\\c'), '"a \\"b\\"\\\\c"');
  assertEquals(fastImportPath("é\nx"), '"\\303\\251\\012x"');
});
