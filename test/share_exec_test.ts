/**
 * `exec --push` and config `share.push`: the run is pushed when it ends (after its tag),
 * whatever the command's outcome; a failed push is reported with how to retry, never
 * changes the exit code, never loses the record. And the whole story: one clone
 * runs `exec --push`, a teammate lists the remote's runs and restores the exact code.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { runprovArgv, Sandbox, withSandbox } from "./helpers.ts";
import { bareRemote, cloneOf, fileSha256, refsOf, startDaemon } from "./share_helpers.ts";

async function sharedRepo(sb: Sandbox): Promise<string> {
  const remote = await bareRemote(sb);
  await sb.git("push", "-q", "origin", "main");
  return remote;
}

const record = (dir: string, id: string) => join(dir, ".runprov", "runs", `${id}.json`);

async function remoteRecordSha(sb: Sandbox, remote: string, id: string): Promise<string> {
  const text = await sb.gitIn(remote, "cat-file", "blob", `refs/runprov/runs/${id}:record.json`);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("exec --push: the finished run is pushed, a failed command too, with the child's exit code", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    const r = await sb.runprov(["exec", "--run-id", "e1", "--push", "--", "sh", "-c", "exit 3"]);
    assertEquals(r.code, 3, r.stderr);
    assertMatch(r.stderr, /pushed run e1 to origin/);
    const rec = JSON.parse(await Deno.readTextFile(record(sb.dir, "e1")));
    assertEquals(rec.status, "failed");
    assertEquals(await remoteRecordSha(sb, remote, "e1"), await fileSha256(record(sb.dir, "e1")));
  });
});

Deno.test("exec --push inside a live run records a child run and pushes that one", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "outer",
      "--",
      "sh",
      "-c",
      '"$0" "$@" exec --push -- sh -c \'echo inner:$RUNPROV_RUN_ID\'',
      ...runprovArgv(),
    ]);
    assertEquals(r.code, 0, r.stderr);
    const inner = r.stdout.trim().replace(/^inner:/, "");
    assert(inner !== "outer" && inner !== "", r.stdout);
    const rec = JSON.parse(await Deno.readTextFile(record(sb.dir, inner)));
    assertEquals([rec.parent, rec.status], ["outer", "succeeded"]);
    assertEquals(await remoteRecordSha(sb, remote, inner), await fileSha256(record(sb.dir, inner)));
    assertEquals(await refsOf(sb, remote, "refs/runprov/runs/outer"), "", "only the child pushed");
  });
});

Deno.test("exec --tag --push: the tag first, then the run; --push=REMOTE sends both there", async () => {
  await withSandbox(async (sb) => {
    const origin = await sharedRepo(sb);
    const r = await sb.runprov(["exec", "--run-id", "t1", "--tag", "--push", "--", "true"]);
    assertEquals(r.code, 0, r.stderr);
    const tagAt = r.stderr.indexOf("pushed run/t1 to origin");
    const runAt = r.stderr.indexOf("pushed run t1 to origin");
    assert(tagAt >= 0 && runAt > tagAt, r.stderr);
    assertMatch(await refsOf(sb, origin), /refs\/tags\/run\/t1\n/);
    assertMatch(await refsOf(sb, origin), /refs\/runprov\/runs\/t1\n/);
    const other = await bareRemote(sb, "mirror");
    const m = await sb.runprov(["exec", "--run-id", "t2", "--tag", "--push=mirror", "--", "true"]);
    assertEquals(m.code, 0, m.stderr);
    assertEquals(
      (await refsOf(sb, other)).split("\n").filter(Boolean).map((l) => l.split(" ")[1]),
      ["refs/runprov/runs/t2", "refs/tags/run/t2"],
    );
    assertEquals(await refsOf(sb, origin, "refs/runprov/runs/t2"), "");
  });
});

Deno.test("config share.push: every exec run is pushed; a refusing remote is reported, exit code and record kept", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    await Deno.writeTextFile(join(sb.dir, "runprov.jsonc"), '{ "share": { "push": true } }');
    await sb.git("add", "runprov.jsonc");
    await sb.git("commit", "-qm", "share runs");
    const hook = join(remote, "hooks", "pre-receive");
    await Deno.writeTextFile(hook, "#!/bin/sh\necho 'no custom refs here' >&2\nexit 1\n");
    await Deno.chmod(hook, 0o755);
    const r = await sb.runprov(["exec", "--run-id", "s1", "--", "sh", "-c", "exit 4"]);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /origin refused refs\/runprov\/runs\/s1: pre-receive hook declined/);
    assertMatch(r.stderr, /remote: no custom refs here/);
    assertMatch(
      r.stderr,
      /its record is kept at .*s1\.json\nhint: push it later with: runprov push s1/,
    );
    assertEquals(JSON.parse(await Deno.readTextFile(record(sb.dir, "s1"))).status, "failed");
    assertEquals(await refsOf(sb, sb.dir, "refs/runprov/runs/"), "");
    // The remote is fixed: the retry it named works.
    await Deno.remove(hook);
    const retry = await sb.runprov(["push", "s1"]);
    assertEquals(retry.code, 0, retry.stderr);
    assertEquals(await remoteRecordSha(sb, remote, "s1"), await fileSha256(record(sb.dir, "s1")));
  });
});

Deno.test("exec --push with --out FILE: the retry hint names the file, and push FILE works", async () => {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", join(sb.base, "nowhere.git"));
    const out = join(sb.base, "runs", "o1.json");
    const r = await sb.runprov(["exec", "--run-id", "o1", "--out", out, "--push", "--", "true"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /cannot push run o1 to origin: fatal: '.*nowhere\.git' does not appear/);
    assertMatch(r.stderr, new RegExp(`push it later with: runprov push ${out}`));
    await sb.gitIn(sb.base, "init", "-q", "--bare", join(sb.base, "nowhere.git"));
    const retry = await sb.runprov(["push", out]);
    assertEquals(retry.code, 0, retry.stderr);
    assertMatch(retry.stderr, /pushed run o1 to origin/);
  });
});

Deno.test("the whole story over git daemon: exec --push here; runs --remote and restore on a teammate's clone", async () => {
  await withSandbox(async (sb) => {
    await sharedRepo(sb);
    const d = await startDaemon(sb, sb.base);
    try {
      const url = `${d.url}origin.git`;
      await sb.git("remote", "set-url", "origin", url);
      await sb.write("train.py", "print('lr', 3e-4)\n");
      await sb.git("add", "train.py");
      await sb.git("commit", "-qm", "train");
      // Not pushed to any branch: the run's push carries this commit too.
      await sb.write("train.py", "print('lr', 1e-3)  # tried during the run\n");
      const r = await sb.runprov([
        "exec",
        "--run-id",
        "story",
        "--push",
        "--",
        "sh",
        "-c",
        "cat train.py > /dev/null",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /pushed run story to origin/);

      const mate = await cloneOf(sb, url, "teammate");
      const listed = await sb.runprov(["runs", "--remote", "origin"], { cwd: mate });
      assertEquals(listed.code, 0, listed.stderr);
      assertMatch(listed.stdout, /^story {2}[0-9a-f]{12}$/m);
      const dir = join(sb.base, "story-code");
      const restored = await sb.runprov(["restore", "story", dir], { cwd: mate });
      assertEquals(restored.code, 0, restored.stderr);
      assertEquals(
        await Deno.readTextFile(join(dir, "train.py")),
        "print('lr', 1e-3)  # tried during the run\n",
      );
      assertEquals(
        await fileSha256(record(mate, "story")),
        await fileSha256(record(sb.dir, "story")),
      );
      const v = await sb.runprov(["-C", dir, "verify", "story"], { cwd: mate });
      assertEquals(v.code, 0, v.stdout + v.stderr);
    } finally {
      await d.stop();
    }
  });
});
