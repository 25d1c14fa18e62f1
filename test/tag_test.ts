/** `runprov tag`, `runs`, `show`, `verify` on real repositories. */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join, resolve } from "node:path";
import { run, Sandbox, withSandbox } from "./helpers.ts";
import { createHash } from "node:crypto";

async function head(sb: Sandbox, rev = "HEAD"): Promise<string> {
  return (await sb.git("rev-parse", rev)).trim();
}

async function stampRun(sb: Sandbox, id: string, ...more: string[]) {
  const r = await sb.runprov(["stamp", "--run-id", id, ...more]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function commit(sb: Sandbox, file: string, text: string) {
  await sb.write(file, text);
  await sb.git("add", file);
  await sb.git("commit", "-qm", `edit ${file}`);
}

async function tagObject(sb: Sandbox, name: string): Promise<string> {
  return (await sb.git("rev-parse", `refs/tags/${name}`)).trim();
}

Deno.test("tag: lands on the run's recorded commit after HEAD moved on, and a rerun is a no-op", async () => {
  await withSandbox(async (sb) => {
    const runSha = await head(sb);
    await stampRun(sb, "exp-1", "--name", "baseline");
    await commit(sb, "later.txt", "committed during the run\n");
    const r = await sb.runprov(["tag", "--run", "exp-1", "--url", "https://wandb.ai/o/p/runs/x"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "run/exp-1\n");
    assertMatch(r.stderr, /created tag run\/exp-1/);
    assertEquals(await head(sb, "run/exp-1^{commit}"), runSha);
    assertEquals((await sb.git("cat-file", "-t", "run/exp-1")).trim(), "tag");
    const msg = await sb.git("tag", "-l", "--format=%(contents)", "run/exp-1");
    assertMatch(msg, /^runprov run baseline \(exp-1\)\n\nhttps:\/\/wandb\.ai\/o\/p\/runs\/x\n/);
    for (
      const t of ["Run: exp-1", "Dirty: false", `Commit: ${runSha}`, "Describe: ", "Created: "]
    ) {
      assert(msg.includes(`Runprov-${t}`), `${t} in ${msg}`);
    }
    const obj = await tagObject(sb, "run/exp-1");
    const again = await sb.runprov(["tag", "--run", "exp-1"]);
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stderr, /already on .*unchanged/);
    assertEquals(await tagObject(sb, "run/exp-1"), obj, "the tag object is not replaced");
    // describe never uses run tags.
    const rec = await stampRun(sb, "exp-2");
    assert(!rec.git.describe.startsWith("run/"), rec.git.describe);
  });
});

Deno.test("tag: an existing tag on another commit is exit 5 and stays untouched", async () => {
  await withSandbox(async (sb) => {
    const old = await head(sb);
    await commit(sb, "a.txt", "a\n");
    await stampRun(sb, "exp-1");
    await sb.git("tag", "-a", "-m", "someone else", "run/exp-1", old);
    const obj = await tagObject(sb, "run/exp-1");
    const r = await sb.runprov(["tag", "--run", "exp-1"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, new RegExp(`already exists on commit ${old}.*nothing changed`));
    assertMatch(r.stderr, /never moves a tag/);
    assertEquals(r.stdout, "");
    assertEquals(await tagObject(sb, "run/exp-1"), obj);
  });
});

Deno.test("tag: 8 concurrent calls for one id: one creates, the rest see it, the tag is valid", async () => {
  await withSandbox(async (sb) => {
    const a = await head(sb);
    await commit(sb, "b.txt", "b\n");
    const b = await head(sb);
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => sb.runprov(["tag", "--run", "race", "--commit", i % 2 ? a : b]),
      ),
    );
    const created = results.filter((r) => /created tag/.test(r.stderr));
    assertEquals(created.length, 1, results.map((r) => r.stderr).join("\n"));
    const winner = await head(sb, "run/race^{commit}");
    await sb.git("fsck", "--no-dangling");
    assertEquals((await sb.git("cat-file", "-t", "run/race")).trim(), "tag");
    for (const [i, r] of results.entries()) {
      const mine = i % 2 ? a : b;
      assertEquals(r.code, mine === winner ? 0 : 5, r.stderr);
    }
  });
});

/** A bare repository as `origin`, by file path. */
async function bareRemote(sb: Sandbox, name = "origin"): Promise<string> {
  const bare = join(sb.base, `${name}.git`);
  await sb.gitIn(sb.base, "init", "-q", "--bare", bare);
  await sb.git("remote", "add", name, bare);
  return bare;
}

Deno.test("tag --push: pushes only the tag by remote name; rerun is up to date", async () => {
  await withSandbox(async (sb) => {
    const bare = await bareRemote(sb);
    await sb.git("push", "-q", "origin", "main");
    await stampRun(sb, "exp-1");
    await sb.git("branch", "other");
    const r = await sb.runprov(["tag", "--run", "exp-1", "--push"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /pushed run\/exp-1 to origin/);
    assert(!/unpublished/.test(r.stderr), "the commit is on origin/main: no warning");
    const remoteRefs = await sb.gitIn(bare, "for-each-ref", "--format=%(refname)");
    assertEquals(remoteRefs.trim().split("\n").sort(), ["refs/heads/main", "refs/tags/run/exp-1"]);
    const again = await sb.runprov(["tag", "--push", "origin", "--run", "exp-1"]);
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stderr, /origin already has run\/exp-1/);
  });
});

Deno.test("tag --push: an unpublished commit gets a warning before it is uploaded", async () => {
  await withSandbox(async (sb) => {
    await bareRemote(sb, "up");
    await stampRun(sb, "exp-1");
    const r = await sb.runprov(["tag", "--run", "exp-1", "--push", "up"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /on no remote-tracking branch: pushing run\/exp-1 uploads/);
  });
});

Deno.test("tag --push: a push rejected by the remote's hook is exit 5, the local tag stays", async () => {
  await withSandbox(async (sb) => {
    const bare = await bareRemote(sb);
    const hook = join(bare, "hooks", "pre-receive");
    await Deno.writeTextFile(hook, "#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n");
    await Deno.chmod(hook, 0o755);
    await stampRun(sb, "exp-1");
    const r = await sb.runprov(["tag", "--run", "exp-1", "--push", "origin"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /pushing it to origin failed: pre-receive hook declined/);
    assertMatch(r.stderr, /local tag stays.*runprov tag --run exp-1 --push origin/);
    assertMatch(r.stderr, /git push origin refs\/tags\/run\/exp-1/);
    assertEquals((await sb.git("tag", "-l", "run/exp-1")).trim(), "run/exp-1");
  });
});

Deno.test("tag --push: a remote URL's credentials are never printed", async () => {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", "http://alice:s3cr3t-t0ken@127.0.0.1:9/x.git");
    await stampRun(sb, "exp-1");
    const r = await sb.runprov(["tag", "--run", "exp-1", "--push"]);
    assertEquals(r.code, 5, r.stderr);
    assert(!r.stderr.includes("s3cr3t") && !r.stdout.includes("s3cr3t"), r.stderr);
    assertMatch(r.stderr, /pushing it to origin failed/);
    // A URL is not a remote name: refused before anything is created.
    const url = await sb.runprov([
      "tag",
      "--run",
      "exp-2",
      "--commit",
      "HEAD",
      "--push",
      "http://bob:pw-secret@h/x",
    ]);
    assertEquals(url.code, 2, url.stderr);
    assert(!url.stderr.includes("pw-secret"), url.stderr);
    assertEquals((await sb.git("tag", "-l", "run/exp-2")).trim(), "");
  });
});

Deno.test("tag: a dirty run under strict is refused (3) unless --allow-dirty", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "edited\n");
    await stampRun(sb, "dirty-1");
    const r = await sb.runprov(["tag", "--run", "dirty-1", "--strict"]);
    assertEquals(r.code, 3, r.stderr);
    assertMatch(r.stderr, /run dirty-1 was dirty[^]*README\.md/);
    assertEquals((await sb.git("tag", "-l")).trim(), "");
    const ok = await sb.runprov([
      "tag",
      "--run",
      "dirty-1",
      "--strict",
      "--allow-dirty",
      "typo only",
    ]);
    assertEquals(ok.code, 0, ok.stderr);
    const msg = await sb.git("tag", "-l", "--format=%(contents)", "run/dirty-1");
    assertMatch(msg, /Runprov-Dirty: true\n/);
    assertMatch(msg, /Runprov-Allow-Dirty: typo only\n/);
  });
});

Deno.test("tag: without a record --commit is required; never the current HEAD", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.runprov(["tag", "--run", "ghost"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /no record of run ghost[^]*--commit REV/);
    assertEquals((await sb.git("tag", "-l")).trim(), "");
    const first = await head(sb);
    await commit(sb, "x.txt", "x\n");
    const ok = await sb.runprov(["tag", "--run", "ghost", "--commit", first]);
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(await head(sb, "run/ghost^{commit}"), first);
    for (const bad of ["a..b", "x.lock", "-x", "a:b", "my run"]) {
      const b = await sb.runprov(["tag", "--commit", "HEAD", `--run=${bad}`]);
      assertEquals(b.code, 2, `${bad}: ${b.stderr}`);
    }
  });
});

Deno.test("tag: the environment of 'eval $(runprov env)' names the commit when ids match", async () => {
  await withSandbox(async (sb) => {
    const first = await head(sb);
    await commit(sb, "x.txt", "x\n");
    const env = { RUNPROV_RUN_ID: "envrun", RUNPROV_GIT_SHA: first, RUNPROV_GIT_DIRTY: "false" };
    const r = await sb.runprov(["tag", "--run", "envrun"], { env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await head(sb, "run/envrun^{commit}"), first);
    const other = await sb.runprov(["tag", "--run", "different"], { env });
    assertEquals(other.code, 2, "another id does not borrow the environment's commit");
  });
});

Deno.test("tag: no tagger identity is a clear error naming user.name and user.email", async () => {
  await withSandbox(async (sb) => {
    await stampRun(sb, "exp-1");
    await sb.git("config", "user.useConfigOnly", "true");
    for (
      const k of [
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
      ]
    ) {
      delete sb.env[k];
    }
    const r = await sb.runprov(["tag", "--run", "exp-1"]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, /no tagger identity[^]*user\.name[^]*user\.email[^]*GIT_COMMITTER_NAME/);
  });
});

Deno.test("runs: records and tags merged newest first, with lost and foreign-host runs; other files skipped", async () => {
  await withSandbox(async (sb) => {
    const sha = await head(sb);
    let fi = "";
    for (let i = 0; i < 3; i++) {
      const msg = `runprov run t${i}\n\nRunprov-Run: t${i}\nRunprov-Dirty: false\n`;
      fi += `tag run/t${i}\nfrom ${sha}\ntagger T <t@x> ${1700000000 + i} +0000\n` +
        `data ${new TextEncoder().encode(msg).length}\n${msg}\n`;
    }
    const imp = await run("git", ["fast-import", "--quiet"], {
      cwd: sb.dir,
      env: sb.env,
      stdin: fi,
    });
    assertEquals(imp.code, 0, imp.stderr);
    await stampRun(sb, "rec-1", "--name", "newest");
    const dir = join(sb.dir, ".runprov", "runs");
    await Deno.writeTextFile(join(dir, ".rec-9.json.tmp-1-abc"), "{half");
    await Deno.writeTextFile(join(dir, "notes.txt"), "hello");
    await Deno.writeTextFile(join(dir, "foreign.json"), '{"hello": 1}');
    await Deno.writeTextFile(join(dir, "broken.json"), "{");
    const rec = JSON.parse(await Deno.readTextFile(join(dir, "rec-1.json")));
    Object.assign(rec, { run_id: "lost-1", status: "running" });
    rec.command = {
      argv: ["train"],
      cwd: "/",
      started_at: rec.created_at,
      ended_at: null,
      exit_code: null,
      signal: null,
      duration_ms: null,
      supervisor_pid: 2 ** 22 + 7,
    };
    await Deno.writeTextFile(join(dir, "lost-1.json"), JSON.stringify(rec));
    rec.run_id = "away-1";
    rec.host.hostname = "some-other-node";
    await Deno.writeTextFile(join(dir, "away-1.json"), JSON.stringify(rec));

    const r = await sb.runprov(["runs", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /skipped 2 file\(s\).*broken\.json.*foreign\.json/);
    const runs = JSON.parse(r.stdout);
    const byId = Object.fromEntries(
      runs.map((x: { id: string; status: string }) => [x.id, x.status]),
    );
    assertEquals(byId, {
      "rec-1": "captured",
      "lost-1": "lost",
      "away-1": "running?",
      t0: "tagged",
      t1: "tagged",
      t2: "tagged",
    });
    assertEquals(runs.slice(3).map((x: { id: string }) => x.id), ["t2", "t1", "t0"]);
    const top = await sb.runprov(["runs", "--limit", "2"]);
    assertEquals(top.code, 0, top.stderr);
    const lines = top.stdout.trim().split("\n");
    assertEquals(lines.length, 3);
    assertMatch(lines[0], /^ID\s+DATE\s+SHA\s+DESCRIBE\s+TREE\s+SNAPSHOT\s+STATUS\s+NAME$/);
  });
});

Deno.test("runs: outside a repository lists the records there; an empty history says so", async () => {
  await withSandbox(async (sb) => {
    const empty = await sb.runprov(["runs"]);
    assertEquals([empty.code, empty.stdout], [0, ""]);
    assertMatch(empty.stderr, /no runs yet/);
    await stampRun(sb, "nogit-1");
    const r = await sb.json(["runs", "--json"]);
    assertEquals(r.map((x: { id: string; sha: string }) => [x.id, x.sha]), [[
      "nogit-1",
      "unknown",
    ]]);
  }, { git: false });
});

Deno.test("show: the record when there is one, else what the tag carries", async () => {
  await withSandbox(async (sb) => {
    await stampRun(sb, "exp-1", "--name", "base");
    const text = await sb.runprov(["show", "exp-1"]);
    assertEquals(text.code, 0, text.stderr);
    assertMatch(text.stdout, /^run\s+exp-1 \(base\)\n/);
    assertMatch(text.stdout, /\ntag\s+none\n/);
    assertEquals((await sb.json(["show", "exp-1", "--json"])).run_id, "exp-1");
    const r = await sb.runprov(["tag", "--run", "exp-1"]);
    assertEquals(r.code, 0, r.stderr);
    await Deno.remove(join(sb.dir, ".runprov", "runs", "exp-1.json"));
    const fromTag = await sb.json(["show", "exp-1", "--json"]);
    assertEquals(fromTag.tag, "run/exp-1");
    assertEquals(fromTag.commit, await head(sb));
    assertEquals([fromTag.trailers.run, fromTag.trailers.name, fromTag.trailers.dirty], [
      "exp-1",
      "base",
      "false",
    ]);
    const none = await sb.runprov(["show", "nope"]);
    assertEquals(none.code, 2);
    assertMatch(none.stderr, /no run nope/);
  });
});

Deno.test("verify: 0 on the run's code, 3 with what differs", async () => {
  await withSandbox(async (sb) => {
    const runSha = await head(sb);
    await stampRun(sb, "exp-1");
    const ok = await sb.runprov(["verify", "exp-1"]);
    assertEquals(ok.code, 0, ok.stderr);
    assertMatch(ok.stdout, /^ok: this checkout is the code of run exp-1/);
    await sb.write("README.md", "changed\n");
    const extra = await sb.runprov(["verify", "exp-1"]);
    assertEquals(extra.code, 3);
    assertMatch(extra.stderr, /extra changes[^]*README\.md/);
    await sb.git("checkout", "-q", "README.md");
    await commit(sb, "n.txt", "n\n");
    const moved = await sb.runprov(["verify", join(sb.dir, ".runprov", "runs", "exp-1.json")]);
    assertEquals(moved.code, 3);
    assertMatch(
      moved.stderr,
      new RegExp(`commit differs: run exp-1 used ${runSha}, checkout is at ${await head(sb)}`),
    );
  });
});

Deno.test("verify: a dirty run matches while the tree holds its patch; a change, a revert or truncation cannot", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "run edit\n");
    const rec = await stampRun(sb, "d-1");
    // The stored patch is what runprov compares with: check it independently of runprov.
    const patchFile = resolve(sb.dir, rec.git.patch.path);
    const patch = await Deno.readFile(patchFile);
    assertEquals(rec.git.patch.sha256, createHash("sha256").update(patch).digest("hex"));
    const applies = await run("git", ["apply", "--check", "-R", patchFile], {
      cwd: sb.dir,
      env: sb.env,
    });
    assertEquals(applies.code, 0, `the patch is this tree's change: ${applies.stderr}`);
    const ok = await sb.runprov(["verify", "d-1"]);
    assertEquals(ok.code, 0, ok.stderr);
    await sb.write("README.md", "other edit\n");
    const differs = await sb.runprov(["verify", "d-1"]);
    assertEquals(differs.code, 3);
    assertMatch(differs.stderr, /uncommitted changes differ/);
    await sb.git("checkout", "-q", "README.md");
    const missing = await sb.runprov(["verify", "d-1"]);
    assertEquals(missing.code, 3);
    assertMatch(missing.stderr, /missing changes[^]*README\.md/);
    await sb.write("README.md", "run edit\n");
    const path = join(sb.dir, ".runprov", "runs", "d-1.json");
    await Deno.writeTextFile(
      path,
      JSON.stringify({ ...rec, git: { ...rec.git, patch: { ...rec.git.patch, truncated: true } } }),
    );
    const trunc = await sb.runprov(["verify", "d-1"]);
    assertEquals(trunc.code, 3);
    assertMatch(trunc.stderr, /cannot prove equality.*truncated/);
  });
});

Deno.test("tag --sign: a signed tag through git's own signing setup (ssh key)", async () => {
  await withSandbox(async (sb) => {
    const key = join(sb.base, "key");
    const kg = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], {
      env: sb.env,
    });
    assertEquals(kg.code, 0, kg.stderr);
    await sb.git("config", "gpg.format", "ssh");
    await sb.git("config", "user.signingkey", `${key}.pub`);
    const pub = await Deno.readTextFile(`${key}.pub`);
    await Deno.writeTextFile(join(sb.base, "allowed"), `test@example.com ${pub}`);
    await sb.git("config", "gpg.ssh.allowedSignersFile", join(sb.base, "allowed"));
    await stampRun(sb, "signed-1");
    const r = await sb.runprov(["tag", "--run", "signed-1", "--sign"]);
    assertEquals(r.code, 0, r.stderr);
    const v = await run("git", ["tag", "-v", "run/signed-1"], { cwd: sb.dir, env: sb.env });
    assertEquals(v.code, 0, v.stderr);
    assertMatch(v.stderr, /Good "git" signature/);
    // A broken signing setup is a clear error, and no tag is left behind.
    await sb.git("config", "gpg.format", "openpgp");
    await sb.git("config", "user.signingkey", "0xDEADBEEFDEADBEEF");
    const bad = await sb.runprov(["tag", "--run", "signed-2", "--commit", "HEAD", "--sign"]);
    assertEquals(bad.code, 2, bad.stderr);
    assertMatch(bad.stderr, /cannot sign tag run\/signed-2[^]*signing setup/);
    assertEquals((await sb.git("tag", "-l", "run/signed-2")).trim(), "");
  });
});

Deno.test("tag --from FILE uses that record; --commit must agree with a record", async () => {
  await withSandbox(async (sb) => {
    const runSha = await head(sb);
    const out = join(sb.base, "elsewhere.json");
    const r0 = await sb.runprov(["stamp", "--run-id", "img-1", "--out", out]);
    assertEquals(r0.code, 0, r0.stderr);
    await commit(sb, "x.txt", "x\n");
    const mismatch = await sb.runprov(["tag", "--run", "img-1", "--from", out, "--commit", "HEAD"]);
    assertEquals(mismatch.code, 2, mismatch.stderr);
    assertMatch(mismatch.stderr, new RegExp(`run img-1 recorded ${runSha}`));
    const wrongId = await sb.runprov(["tag", "--run", "other", "--from", out]);
    assertEquals(wrongId.code, 2, wrongId.stderr);
    assertMatch(wrongId.stderr, /is the record of run img-1, not other/);
    const ok = await sb.runprov(["tag", "--run", "img-1", "--from", out]);
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(await head(sb, "run/img-1^{commit}"), runSha);
    assertMatch(
      await sb.git("tag", "-l", "--format=%(contents)", "run/img-1"),
      /Runprov-Source: file\n/,
    );
  });
});
