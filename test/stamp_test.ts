/** `runprov stamp` on real repositories in every state a training run meets. */
import { assert, assertEquals, assertMatch, assertNotEquals } from "./assert.ts";
import { join } from "node:path";
import { NOT_ROOT, run, Sandbox, skipUnless, withSandbox } from "./helpers.ts";

const SHA = /^[0-9a-f]{40}$/;

async function stamp(sb: Sandbox, args: string[] = [], cwd?: string) {
  return await sb.json(["stamp", ...args], { cwd });
}

Deno.test("stamp: clean repository gives sha, branch, describe and a stored record", async () => {
  await withSandbox(async (sb) => {
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    const r = await sb.runprov(["stamp", "--run-id", "exp-1", "--name", "baseline"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, "", "a clean run prints no warning");
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.schema, "runprov.run/1");
    assertEquals(rec.run_id, "exp-1");
    assertEquals(rec.name, "baseline");
    assertEquals(rec.status, "captured");
    assertMatch(rec.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assertEquals(rec.git.available, true);
    assertEquals(rec.git.sha, head);
    assertEquals(rec.git.sha_short, head.slice(0, 7));
    assertEquals(rec.git.describe, head.slice(0, 7));
    assertEquals(rec.git.branch, "main");
    assertEquals(rec.git.dirty, false);
    assertEquals(rec.git.changed, []);
    assertEquals(rec.git.untracked, []);
    assertEquals(rec.git.root, await Deno.realPath(sb.dir));
    assertEquals(rec.git.shallow, false);
    assertEquals(rec.git.patch, null);
    assertEquals(rec.policy, { mode: "warn", verdict: "clean", reason: null });
    assertEquals(rec.command, null);
    assertEquals(rec.tool.name, "runprov");
    assertEquals(rec.host.user, "tester");
    assert(typeof rec.host.hostname === "string");
    const stored = join(sb.dir, ".runprov", "runs", "exp-1.json");
    assertEquals(JSON.parse(await Deno.readTextFile(stored)), rec);
    assertEquals(await Deno.readTextFile(join(sb.dir, ".runprov", ".gitignore")), "*\n");
    // runprov's own files never dirty the tree.
    assertEquals((await sb.git("status", "--porcelain")).trim(), "");
  });
});

Deno.test("stamp: generated run ids are 8 lowercase base36 characters and differ", async () => {
  await withSandbox(async (sb) => {
    const a = await stamp(sb);
    const b = await stamp(sb);
    assertMatch(a.run_id, /^[0-9a-z]{8}$/);
    assertNotEquals(a.run_id, b.run_id);
  });
});

Deno.test("stamp: each kind of tracked change makes the run dirty, with its kind", async () => {
  await withSandbox(async (sb) => {
    await sb.write("mod.txt", "a\n");
    await sb.write("staged.txt", "a\n");
    await sb.write("del.txt", "a\n");
    await sb.write("old.txt", "rename me\n");
    await sb.write("run.sh", "echo\n");
    await sb.git("add", ".");
    await sb.git("commit", "-qm", "files");
    await sb.write("mod.txt", "b\n");
    await sb.write("staged.txt", "b\n");
    await sb.git("add", "staged.txt");
    await Deno.remove(join(sb.dir, "del.txt"));
    await sb.git("mv", "old.txt", "new.txt");
    await Deno.chmod(join(sb.dir, "run.sh"), 0o755);
    const rec = await stamp(sb);
    assertEquals(rec.git.dirty, true);
    const kinds = Object.fromEntries(
      rec.git.changed.map((c: { path: string; kind: string }) => [c.path, c.kind]),
    );
    assertEquals(kinds, {
      "mod.txt": "modified",
      "staged.txt": "staged",
      "del.txt": "deleted",
      "new.txt": "renamed",
      "run.sh": "mode",
    });
    const renamed = rec.git.changed.find((c: { path: string }) => c.path === "new.txt");
    assertEquals(renamed.orig_path, "old.txt");
    assertMatch(rec.git.describe, /^[0-9a-f]{7}-dirty$/);
    assertEquals(rec.policy.verdict, "dirty");
  });
});

Deno.test("stamp: untracked files are listed but do not make the run dirty", async () => {
  await withSandbox(async (sb) => {
    await sb.write("notes.txt", "x\n");
    await sb.write("newdir/a.txt", "x\n");
    const rec = await stamp(sb);
    assertEquals(rec.git.dirty, false);
    assertEquals(rec.git.untracked, ["newdir/", "notes.txt"]);
    assertEquals(rec.policy.verdict, "clean");
  });
});

Deno.test("stamp: ignored files are neither dirty nor listed", async () => {
  await withSandbox(async (sb) => {
    await sb.write(".gitignore", "outputs/\n");
    await sb.git("add", ".gitignore");
    await sb.git("commit", "-qm", "ignore");
    await sb.write("outputs/ckpt.bin", "x");
    const rec = await stamp(sb);
    assertEquals(rec.git.dirty, false);
    assertEquals(rec.git.untracked, []);
  });
});

Deno.test("stamp: detached HEAD has a null branch", async () => {
  await withSandbox(async (sb) => {
    await sb.git("checkout", "-q", "--detach");
    const rec = await stamp(sb);
    assertEquals(rec.git.branch, null);
    assertEquals(rec.git.detached, true);
    assertMatch(rec.git.sha, SHA);
  });
});

Deno.test("stamp: unborn HEAD is unavailable under warn, exit 4 under strict", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["stamp"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.available, false);
    assertEquals(rec.git.sha, "unknown");
    assertEquals(rec.git.reason_code, "unborn-head");
    assertMatch(rec.git.reason, /no commits/);
    assertEquals(rec.policy.verdict, "unavailable");
    assertEquals(r.stderr.trim().split("\n").length, 1, "exactly one warning");
    assertMatch(r.stderr, /warning/);
    const strict = await sb.runprov(["stamp", "--strict"]);
    assertEquals(strict.code, 4);
    assertEquals(strict.stdout, "");
    assertMatch(strict.stderr, /no commits/);
  }, { commit: false });
});

Deno.test("stamp: describe names the nearest version tag, never a run tag", async () => {
  await withSandbox(async (sb) => {
    await sb.git("tag", "-a", "v1.0", "-m", "release");
    await sb.write("a.txt", "1\n");
    await sb.git("add", "a.txt");
    await sb.git("commit", "-qm", "after");
    await sb.git("tag", "-a", "run/abc", "-m", "a run");
    const short = (await sb.git("rev-parse", "--short", "HEAD")).trim();
    const rec = await stamp(sb);
    assertEquals(rec.git.describe, `v1.0-1-g${short}`);
    await sb.write("a.txt", "2\n");
    assertEquals((await stamp(sb)).git.describe, `v1.0-1-g${short}-dirty`);
  });
});

Deno.test("stamp: describe agrees with git describe --always --dirty --tags", async () => {
  await withSandbox(async (sb) => {
    await sb.git("tag", "light");
    await sb.write("README.md", "changed\n");
    const expected = (await sb.git("describe", "--always", "--dirty", "--tags")).trim();
    assertEquals((await stamp(sb)).git.describe, expected);
  });
});

Deno.test("stamp: a shallow clone is recorded as shallow", async () => {
  await withSandbox(async (sb) => {
    await sb.write("b.txt", "1\n");
    await sb.git("add", "b.txt");
    await sb.git("commit", "-qm", "second");
    const clone = join(sb.base, "shallow");
    await sb.gitIn(sb.base, "clone", "-q", "--depth", "1", `file://${sb.dir}`, clone);
    const rec = await stamp(sb, [], clone);
    assertEquals(rec.git.shallow, true);
    assertEquals(rec.git.sha, (await sb.git("rev-parse", "HEAD")).trim());
    assertEquals(rec.git.remote, "origin");
    assertEquals(rec.git.remote_url, `file://${sb.dir}`);
    assertEquals(rec.git.upstream, "origin/main");
    assertEquals(rec.git.pushed, true);
  });
});

Deno.test("stamp: a linked worktree records its own branch and root", async () => {
  await withSandbox(async (sb) => {
    const wt = join(sb.base, "wt");
    await sb.git("worktree", "add", "-q", "-b", "feature", wt);
    const rec = await stamp(sb, [], wt);
    assertEquals(rec.git.branch, "feature");
    assertEquals(rec.git.worktree, true);
    assertEquals(rec.git.root, await Deno.realPath(wt));
    assert(await Deno.stat(join(wt, ".runprov", "runs", `${rec.run_id}.json`)));
  });
});

async function withSubmodule(fn: (sb: Sandbox, subSha: string) => Promise<void>) {
  await withSandbox(async (sb) => {
    const lib = join(sb.base, "lib");
    await Deno.mkdir(lib);
    await sb.gitIn(lib, "init", "-q", "-b", "main");
    await Deno.writeTextFile(join(lib, "x.py"), "x = 1\n");
    await sb.gitIn(lib, "add", ".");
    await sb.gitIn(lib, "commit", "-qm", "lib");
    const subSha = (await sb.gitIn(lib, "rev-parse", "HEAD")).trim();
    await sb.git(
      "-c",
      "protocol.file.allow=always",
      "submodule",
      "add",
      "-q",
      lib,
      "third_party/lib",
    );
    await sb.git("commit", "-qm", "add submodule");
    await fn(sb, subSha);
  });
}

Deno.test("stamp: a clean submodule is listed with its commit and the run is clean", async () => {
  await withSubmodule(async (sb, subSha) => {
    const rec = await stamp(sb);
    assertEquals(rec.git.dirty, false);
    assertEquals(rec.git.submodules, [{
      path: "third_party/lib",
      sha: subSha,
      recorded_sha: subSha,
      dirty: false,
      untracked: false,
    }]);
  });
});

Deno.test("stamp: a submodule at a new commit makes the run dirty and records that commit", async () => {
  await withSubmodule(async (sb, subSha) => {
    const sub = join(sb.dir, "third_party/lib");
    await Deno.writeTextFile(join(sub, "x.py"), "x = 2\n");
    await sb.gitIn(sub, "commit", "-qam", "bump");
    const newSha = (await sb.gitIn(sub, "rev-parse", "HEAD")).trim();
    const rec = await stamp(sb);
    assertEquals(rec.git.dirty, true);
    assertEquals(rec.git.submodules[0].sha, newSha);
    assertEquals(rec.git.submodules[0].recorded_sha, subSha);
    assertEquals(rec.git.submodules[0].dirty, true);
    assertEquals(rec.git.changed[0].kind, "submodule");
  });
});

Deno.test("stamp: tracked edits inside a submodule make the run dirty", async () => {
  await withSubmodule(async (sb) => {
    await Deno.writeTextFile(join(sb.dir, "third_party/lib/x.py"), "x = 3\n");
    const rec = await stamp(sb);
    assertEquals(rec.git.dirty, true);
    assertEquals(rec.git.submodules[0].dirty, true);
  });
});

Deno.test("stamp: only untracked files in a submodule do not make the run dirty", async () => {
  await withSubmodule(async (sb) => {
    await Deno.writeTextFile(join(sb.dir, "third_party/lib/scratch.txt"), "x\n");
    const rec = await stamp(sb);
    assertEquals(rec.git.dirty, false);
    assertEquals(rec.git.changed, []);
    assertEquals(rec.git.submodules[0].untracked, true);
    assertEquals(rec.git.submodules[0].dirty, false);
  });
});

Deno.test("stamp: from a subdirectory and via -C the record lands at the repository top", async () => {
  await withSandbox(async (sb) => {
    await sb.write("src/deep/x.py", "x\n");
    const fromSub = await stamp(sb, ["--run-id", "sub1"], join(sb.dir, "src/deep"));
    assertEquals(fromSub.git.root, await Deno.realPath(sb.dir));
    assertEquals(fromSub.git.untracked, ["src/"]);
    assert(await Deno.stat(join(sb.dir, ".runprov/runs/sub1.json")));
    const viaC = await stamp(sb, ["--run-id", "c1"], sb.base);
    assertEquals(viaC.git.available, false, "sb.base is not a repository");
    const r = await sb.runprov(["-C", "repo/src", "stamp", "--run-id", "c2"], { cwd: sb.base });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).git.root, await Deno.realPath(sb.dir));
    assert(await Deno.stat(join(sb.dir, ".runprov/runs/c2.json")));
  });
});

Deno.test("stamp: outside a repository warn succeeds with sha unknown; strict exits 3", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["stamp", "--run-id", "norepo"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.available, false);
    assertEquals(rec.git.sha, "unknown");
    assertEquals(rec.git.reason_code, "not-a-repository");
    assertMatch(r.stderr, /^runprov: warning: .*not inside a git repository/);
    assertEquals(r.stderr.trim().split("\n").length, 1);
    assert(await Deno.stat(join(sb.dir, ".runprov/runs/norepo.json")));
    const off = await sb.runprov(["stamp", "--policy", "off", "--out", "-"]);
    assertEquals(off.code, 0);
    assertEquals(off.stderr, "", "off is silent");
    const strict = await sb.runprov(["stamp", "--strict"]);
    assertEquals(strict.code, 3);
    assertEquals(strict.stdout, "");
    const env = await sb.runprov(["stamp"], { env: { RUNPROV_POLICY: "strict" } });
    assertEquals(env.code, 3, "RUNPROV_POLICY=strict applies");
  }, { git: false });
});

Deno.test("stamp: without git on PATH warn records the reason; strict exits 4", async () => {
  await withSandbox(async (sb) => {
    const empty = join(sb.base, "empty-bin");
    await Deno.mkdir(empty);
    const r = await sb.runprov(["stamp", "--out", "-"], { env: { PATH: empty } });
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.sha, "unknown");
    assertEquals(rec.git.reason_code, "git-not-found");
    const strict = await sb.runprov(["stamp", "--strict"], { env: { PATH: empty } });
    assertEquals(strict.code, 4);
    assertMatch(strict.stderr, /git is not installed/);
  });
});

Deno.test({
  ...skipUnless(
    NOT_ROOT,
    "stamp: a repository owned by another user is exit 4 under strict, naming safe.directory",
  ),
  fn: async () => {
    await withSandbox(async (sb) => {
      await run("chown", ["-R", "4242:4242", sb.dir]);
      const strict = await sb.runprov(["stamp", "--strict"]);
      assertEquals(strict.code, 4);
      assertMatch(strict.stderr, /dubious ownership/);
      assertMatch(strict.stderr, /safe\.directory/);
      assert(!strict.stderr.includes("'*'") || /never/.test(strict.stderr));
      const warn = await sb.runprov(["stamp", "--out", "-"]);
      assertEquals(warn.code, 0);
      assertEquals(JSON.parse(warn.stdout).git.reason_code, "dubious-ownership");
    });
  },
});

Deno.test("stamp: an inherited GIT_DIR pointing elsewhere is ignored with a warning", async () => {
  await withSandbox(async (sb) => {
    const other = await Sandbox.create();
    try {
      await other.write("other.txt", "x\n");
      await other.git("add", "other.txt");
      await other.git("commit", "-qm", "other");
      const r = await sb.runprov(["stamp", "--out", "-"], {
        env: { GIT_DIR: join(other.dir, ".git"), GIT_INDEX_FILE: join(other.dir, ".git/index") },
      });
      assertEquals(r.code, 0, r.stderr);
      const rec = JSON.parse(r.stdout);
      assertEquals(rec.git.sha, (await sb.git("rev-parse", "HEAD")).trim());
      assertEquals(rec.git.dirty, false);
      assertMatch(r.stderr, /ignoring inherited GIT_DIR, GIT_INDEX_FILE/);
    } finally {
      await other.cleanup();
    }
  });
});

Deno.test("stamp: a remote URL's credentials are never printed or stored", async () => {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", "https://alice:s3cr3t-token@git.example.com/o/r.git");
    const r = await sb.runprov(["stamp", "--run-id", "cred"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.remote_url, "https://git.example.com/o/r.git");
    assertEquals(rec.git.pushed, false);
    const stored = await Deno.readTextFile(join(sb.dir, ".runprov/runs/cred.json"));
    for (const text of [r.stdout, r.stderr, stored]) {
      assert(!text.includes("s3cr3t-token"));
      assert(!text.includes("alice"));
    }
  });
});

Deno.test("stamp: --out writes the record elsewhere; --out - writes none", async () => {
  await withSandbox(async (sb) => {
    const out = join(sb.base, "rec.json");
    const rec = await stamp(sb, ["--out", out]);
    assertEquals(JSON.parse(await Deno.readTextFile(out)), rec);
    await stamp(sb, ["--out", "-", "--run-id", "nofile"]);
    await Deno.stat(join(sb.dir, ".runprov/runs/nofile.json")).then(
      () => assert(false, "no file expected"),
      () => {},
    );
  });
});

Deno.test("stamp: --out creates the directories it needs", async () => {
  await withSandbox(async (sb) => {
    const out = join(sb.base, "runs", "4242", "rec.json");
    const rec = await stamp(sb, ["--out", out]);
    assertEquals(JSON.parse(await Deno.readTextFile(out)), rec);
  });
});

Deno.test("stamp: invalid run ids and policies are usage errors (exit 2) with nothing on stdout", async () => {
  await withSandbox(async (sb) => {
    for (const id of ["a b", "../x", "-x", "a..b", "x.lock", "x.", "a/b", "", "é"]) {
      const r = await sb.runprov(["stamp", `--run-id=${id}`]);
      assertEquals(r.code, 2, `run id ${JSON.stringify(id)}`);
      assertEquals(r.stdout, "");
      assertMatch(r.stderr, /invalid run id/);
    }
    const p = await sb.runprov(["stamp", "--policy", "loose"]);
    assertEquals(p.code, 2);
    assertMatch(p.stderr, /strict, warn, off/);
    const e = await sb.runprov(["stamp", "--strict", "--allow-dirty", ""]);
    assertEquals(e.code, 2);
    assertMatch(e.stderr, /needs a reason/);
    const u = await sb.runprov(["stamp", "--bogus"]);
    assertEquals(u.code, 2);
    assertMatch(u.stderr, /unknown option --bogus/);
  });
});

Deno.test("stamp: strict refuses a dirty tree (exit 3) and --allow-dirty records the reason", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "edited\n");
    const r = await sb.runprov(["stamp", "--strict", "--run-id", "s1"]);
    assertEquals(r.code, 3);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, /modified +README\.md/);
    assertMatch(r.stderr, /--allow-dirty/);
    await Deno.stat(join(sb.dir, ".runprov/runs/s1.json")).then(
      () => assert(false, "refused runs write no record"),
      () => {},
    );
    const ok = await sb.json(["stamp", "--strict", "--allow-dirty", "quick NaN check"]);
    assertEquals(ok.policy, { mode: "strict", verdict: "allowed", reason: "quick NaN check" });
    const viaEnv = await sb.json(["stamp", "--strict"], {
      env: { RUNPROV_ALLOW_DIRTY: "from env" },
    });
    assertEquals(viaEnv.policy.reason, "from env");
  });
});

Deno.test("stamp: scheduler ids from SLURM, torchrun and Kubernetes are recorded", async () => {
  await withSandbox(async (sb) => {
    const rec = await sb.json(["stamp", "--out", "-"], {
      env: {
        SLURM_JOB_ID: "123",
        SLURM_ARRAY_JOB_ID: "120",
        SLURM_ARRAY_TASK_ID: "3",
        SLURM_PROCID: "0",
        TORCHELASTIC_RUN_ID: "te-1",
        RANK: "5",
        LOCAL_RANK: "1",
        WORLD_SIZE: "8",
        KUBERNETES_SERVICE_HOST: "10.0.0.1",
        POD_NAME: "trainer-0",
      },
    });
    assertEquals(rec.host.scheduler.slurm, {
      job_id: "123",
      array_job_id: "120",
      array_task_id: "3",
      procid: "0",
    });
    assertEquals(rec.host.scheduler.torchelastic, {
      run_id: "te-1",
      rank: "5",
      local_rank: "1",
      world_size: "8",
    });
    assertEquals(rec.host.scheduler.kubernetes, { pod_name: "trainer-0" });
  });
});

Deno.test("stamp: a second stamp of one id is refused; the record stays, no temp files", async () => {
  await withSandbox(async (sb) => {
    await stamp(sb, ["--run-id", "same"]);
    const r = await sb.runprov(["stamp", "--run-id", "same", "--name", "second"]);
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stdout, "");
    const dir = join(sb.dir, ".runprov/runs");
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names, ["same.json"]);
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "same.json"))).name, null);
  });
});

Deno.test("stamp: a HEAD naming a missing commit is unavailable under warn, exit 4 under strict", async () => {
  await withSandbox(async (sb) => {
    await Deno.writeTextFile(
      join(sb.dir, ".git/refs/heads/main"),
      "0123456789abcdef0123456789abcdef01234567\n",
    );
    const r = await sb.runprov(["stamp", "--out", "-"]);
    assertEquals(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assertEquals(rec.git.available, false);
    assertEquals(rec.git.sha, "unknown");
    assertEquals(rec.git.reason_code, "corrupt-head");
    assertEquals(r.stderr.trim().split("\n").length, 1, "one warning");
    const strict = await sb.runprov(["stamp", "--strict"]);
    assertEquals(strict.code, 4);
    assertEquals(strict.stdout, "");
  });
});
