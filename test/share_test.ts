/**
 * `runprov push`: runs shared through real remotes (a bare repository over the file
 * transport, and `git daemon` on 127.0.0.1), what arrives, conflicts, concurrency, remotes
 * that cannot be reached or refuse, and what a plain git user sees.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, Sandbox, withSandbox } from "./helpers.ts";
import {
  allObjects,
  bareRemote,
  checkoutState,
  cloneOf,
  fileSha256,
  refsOf,
  startDaemon,
} from "./share_helpers.ts";
import { sha256Hex } from "../lib/util/sha256.ts";

async function stampRun(sb: Sandbox, id: string, opts: { cwd?: string } = {}) {
  const r = await sb.runprov(["stamp", "--run-id", id], opts);
  assertEquals(r.code, 0, r.stderr);
}

/** A repository with one commit on the remote `origin` (a bare repo), ready to share runs. */
async function sharedRepo(sb: Sandbox): Promise<string> {
  const remote = await bareRemote(sb);
  await sb.git("push", "-q", "origin", "main");
  return remote;
}

/** A dirty worktree with a modified text file and a staged binary file holding NUL bytes. */
async function makeDirty(sb: Sandbox): Promise<Uint8Array> {
  await sb.write("README.md", "hello\nedited during the run\n");
  const bin = new Uint8Array([0, 1, 2, 0, 255, 10, 0]);
  await Deno.writeFile(join(sb.dir, "weights.bin"), bin);
  await sb.git("add", "weights.bin");
  return bin;
}

async function blob(sb: Sandbox, dir: string, rev: string): Promise<Uint8Array> {
  const r = await run("git", ["cat-file", "blob", rev], { cwd: dir, env: sb.env });
  assertEquals(r.code, 0, r.stderr);
  return r.stdoutBytes;
}

const remotes = [
  { name: "a bare repository (file transport)", daemon: false },
  { name: "git daemon on 127.0.0.1", daemon: true },
];

for (const t of remotes) {
  Deno.test(`push over ${t.name}: record and patch arrive byte for byte, the code as parent`, async () => {
    await withSandbox(async (sb) => {
      const remote = await sharedRepo(sb);
      const daemon = t.daemon ? await startDaemon(sb, sb.base) : null;
      try {
        if (daemon) await sb.git("remote", "set-url", "origin", `${daemon.url}origin.git`);
        await stampRun(sb, "clean1");
        const bin = await makeDirty(sb);
        await stampRun(sb, "dirty1");
        const r = await sb.runprov(["push", "clean1", "dirty1"]);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /pushed run clean1 to origin/);
        assertMatch(r.stderr, /pushed run dirty1 to origin/);
        for (const id of ["clean1", "dirty1"]) {
          const rec = join(sb.dir, ".runprov", "runs", `${id}.json`);
          const got = await blob(sb, remote, `refs/runprov/runs/${id}:record.json`);
          assertEquals(sha256Hex(got), await fileSha256(rec), `${id}: record byte-identical`);
          // The local run ref says the run is shared, and names the same commit.
          assertEquals(
            (await sb.git("rev-parse", `refs/runprov/runs/${id}`)).trim(),
            (await sb.gitIn(remote, "rev-parse", `refs/runprov/runs/${id}`)).trim(),
          );
        }
        const patch = await blob(sb, remote, "refs/runprov/runs/dirty1:run.patch");
        assertEquals(
          sha256Hex(patch),
          await fileSha256(join(sb.dir, ".runprov", "runs", "dirty1.patch")),
        );
        // The parent is the snapshot: the dirty run's exact code, binary file included.
        assertEquals(await blob(sb, remote, "refs/runprov/runs/dirty1^:weights.bin"), bin);
        assertEquals(
          new TextDecoder().decode(await blob(sb, remote, "refs/runprov/runs/dirty1^:README.md")),
          "hello\nedited during the run\n",
        );
        const head = (await sb.git("rev-parse", "HEAD")).trim();
        assertEquals(
          (await sb.gitIn(remote, "rev-parse", "refs/runprov/runs/clean1^")).trim(),
          head,
        );
        assertEquals(
          await sb.gitIn(remote, "ls-tree", "--name-only", "refs/runprov/runs/clean1"),
          "record.json\n",
        );
        // Again: nothing changes, exit 0.
        const before = await refsOf(sb, remote);
        const again = await sb.runprov(["push", "clean1", "dirty1", "--json"]);
        assertEquals(again.code, 0, again.stderr);
        assertEquals(
          JSON.parse(again.stdout).map((o: { status: string }) => o.status),
          ["up-to-date", "up-to-date"],
        );
        assertEquals(await refsOf(sb, remote), before);
      } finally {
        await daemon?.stop();
      }
    });
  });
}

Deno.test("push: the same id with other content (another clone) is exit 5, remote and both sides unchanged", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    const daemon = await startDaemon(sb, sb.base);
    try {
      await sb.git("remote", "set-url", "origin", `${daemon.url}origin.git`);
      await stampRun(sb, "same-id");
      const first = await sb.runprov(["push", "same-id"]);
      assertEquals(first.code, 0, first.stderr);
      const other = await cloneOf(sb, `${daemon.url}origin.git`, "teammate");
      await stampRun(sb, "same-id", { cwd: other }); // another run, another record
      const before = await refsOf(sb, remote);
      const mine = await checkoutState(sb, other);
      const r = await sb.runprov(["push", "same-id"], { cwd: other });
      assertEquals(r.code, 5, r.stderr);
      assertMatch(r.stderr, /run same-id is already on origin with other content/);
      assertMatch(r.stderr, /nothing was overwritten/);
      assertMatch(r.stderr, /hint: .*new run id/);
      assertEquals(await refsOf(sb, remote), before, "remote unchanged");
      assertEquals(await checkoutState(sb, other), mine, "teammate's checkout unchanged");
    } finally {
      await daemon.stop();
    }
  });
});

Deno.test("push: a record changed after it was pushed is a conflict (exit 5), nothing pushed", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    await stampRun(sb, "r1");
    assertEquals((await sb.runprov(["push", "r1"])).code, 0);
    const before = await refsOf(sb, remote);
    const path = join(sb.dir, ".runprov", "runs", "r1.json");
    const rec = JSON.parse(await Deno.readTextFile(path));
    rec.name = "renamed later";
    await Deno.writeTextFile(path, JSON.stringify(rec, null, 2) + "\n");
    const r = await sb.runprov(["push", "r1"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /run r1 was shared before with other content/);
    assertEquals(await refsOf(sb, remote), before);
  });
});

Deno.test("push: 32 processes pushing 32 different runs at once (git daemon): all arrive intact", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    const daemon = await startDaemon(sb, sb.base);
    try {
      await sb.git("remote", "set-url", "origin", `${daemon.url}origin.git`);
      await stampRun(sb, "template");
      const dir = join(sb.dir, ".runprov", "runs");
      const template = JSON.parse(await Deno.readTextFile(join(dir, "template.json")));
      const ids = Array.from({ length: 32 }, (_, i) => `par-${String(i).padStart(2, "0")}`);
      for (const [i, id] of ids.entries()) {
        const rec = { ...template, run_id: id, name: `run ${i}` };
        await Deno.writeTextFile(join(dir, `${id}.json`), JSON.stringify(rec, null, 2) + "\n");
      }
      const results = await Promise.all(ids.map((id) => sb.runprov(["push", id])));
      results.forEach((r, i) => assertEquals(r.code, 0, `${ids[i]}: ${r.stderr}`));
      const listed = (await refsOf(sb, remote, "refs/runprov/runs/")).trim().split("\n");
      assertEquals(listed.length, 32, "all 32 arrived, none lost");
      for (const id of ids) {
        const got = await blob(sb, remote, `refs/runprov/runs/${id}:record.json`);
        assertEquals(sha256Hex(got), await fileSha256(join(dir, `${id}.json`)), `${id} intact`);
      }
      const fsck = await run("git", ["fsck", "--strict", "--no-dangling"], {
        cwd: remote,
        env: sb.env,
      });
      assertEquals(fsck.code, 0, fsck.stderr);
    } finally {
      await daemon.stop();
    }
  });
});

Deno.test("push: an unreachable remote is exit 5 with git's reason; nothing changes here", async () => {
  await withSandbox(async (sb) => {
    await sharedRepo(sb);
    await stampRun(sb, "r1");
    // A port nobody listens on: connection refused.
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    await sb.git("remote", "set-url", "origin", `git://127.0.0.1:${port}/origin.git`);
    const before = await checkoutState(sb);
    const r = await sb.runprov(["push", "r1"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /cannot push run r1 to origin: fatal: unable to connect to 127\.0\.0\.1/);
    assertMatch(r.stderr, /hint: check that origin is reachable .*retry with: runprov push r1/);
    assertEquals(await checkoutState(sb), before);
  });
});

Deno.test("push: a remote that refuses refs/runprov/* is exit 5 with its own reason and a way out", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    const hook = join(remote, "hooks", "pre-receive");
    await Deno.writeTextFile(
      hook,
      "#!/bin/sh\nwhile read old new ref; do case $ref in refs/runprov/*) " +
        'echo "custom refs are not allowed on this host: $ref" >&2; exit 1;; esac; done\n',
    );
    await Deno.chmod(hook, 0o755);
    await stampRun(sb, "r1");
    const before = await checkoutState(sb);
    const remoteBefore = await refsOf(sb, remote);
    const r = await sb.runprov(["push", "r1"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /origin refused refs\/runprov\/runs\/r1: pre-receive hook declined/);
    assertMatch(r.stderr, /remote: custom refs are not allowed on this host/);
    assertMatch(
      r.stderr,
      /hint: .*allow refs\/runprov\/\* there, or .*share\.remote.*docs\/sharing\.md/,
    );
    assertEquals(await checkoutState(sb), before, "local state unchanged");
    assertEquals(await refsOf(sb, remote), remoteBefore, "remote unchanged");
    // Another remote through config share.remote takes them.
    await bareRemote(sb, "runs");
    await Deno.writeTextFile(join(sb.dir, "runprov.jsonc"), '{ "share": { "remote": "runs" } }');
    const ok = await sb.runprov(["push", "r1"]);
    assertEquals(ok.code, 0, ok.stderr);
    assertMatch(ok.stderr, /pushed run r1 to runs/);
  });
});

Deno.test("push: a read-only remote (git daemon without receive-pack) is exit 5 with its reason", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    const daemon = await startDaemon(sb, sb.base, { push: false });
    try {
      await sb.git("remote", "set-url", "origin", `${daemon.url}origin.git`);
      await stampRun(sb, "r1");
      const before = await checkoutState(sb);
      const remoteBefore = await refsOf(sb, remote);
      const r = await sb.runprov(["push", "r1"]);
      assertEquals(r.code, 5, r.stderr);
      assertMatch(
        r.stderr,
        /cannot push run r1 to origin: fatal: remote error: service not enabled/,
      );
      assertEquals(await checkoutState(sb), before);
      assertEquals(await refsOf(sb, remote), remoteBefore);
    } finally {
      await daemon.stop();
    }
  });
});

Deno.test("push: nothing pushed carries a credential (remote URL, pushurl, tracker variables, --url)", async () => {
  await withSandbox(async (sb) => {
    const secrets = ["s3cr3tPassw0rd", "ghp_TOKENabcdefghijklmnop0123", "wandbKEY0123456789abcdef"];
    // The fetch URL carries user:password, the push URL a token; url.insteadOf maps both to
    // a local bare repository, so the push really happens and the URLs are what git sees.
    await Deno.mkdir(join(sb.base, "o"));
    const remote = join(sb.base, "o", "r.git");
    await sb.gitIn(sb.base, "init", "-q", "--bare", "-b", "main", remote);
    await sb.git("remote", "add", "origin", `https://alice:${secrets[0]}@git.example/o/r.git`);
    await sb.git(
      "remote",
      "set-url",
      "--push",
      "origin",
      `https://${secrets[1]}@git.example/o/r.git`,
    );
    for (
      const url of [
        `https://alice:${secrets[0]}@git.example/`,
        `https://${secrets[1]}@git.example/`,
      ]
    ) {
      await sb.git("config", "--add", `url.${sb.base}/.insteadOf`, url);
    }
    await sb.git("push", "-q", "origin", "main");
    // share.push: the run goes when exec ends; the tag (whose message holds --url) stays.
    await Deno.writeTextFile(join(sb.dir, "runprov.jsonc"), '{ "share": { "push": true } }');
    const env = { WANDB_API_KEY: secrets[2], MLFLOW_TRACKING_TOKEN: secrets[2] };
    await makeDirty(sb);
    const r = await sb.runprov([
      "exec",
      "--run-id",
      "cred1",
      "--tracker",
      "wandb",
      "--tracker",
      "mlflow",
      "--tag",
      "--url",
      `https://u:${secrets[0]}@wandb.example/run?token=${secrets[1]}`,
      "--",
      "sh",
      "-c",
      "echo $RUNPROV_GIT_REMOTE_URL > /dev/null",
    ], { env });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /pushed run cred1 to origin/);
    for (const s of secrets) assert(!r.stderr.includes(s), `stderr shows ${s}`);
    assertEquals(
      (await sb.gitIn(remote, "rev-parse", "refs/runprov/runs/cred1")).trim(),
      (await sb.git("rev-parse", "refs/runprov/runs/cred1")).trim(),
    );
    // Every object on the remote (the run commit, record, patch, snapshot and code).
    const objects = new TextDecoder("latin1").decode(await allObjects(sb, remote));
    assert(objects.includes("runprov run cred1"), "the scan sees the run commit");
    for (const s of secrets) assert(!objects.includes(s), `a pushed object holds ${s}`);
  });
});

Deno.test("push: a plain clone, git fetch and git describe --tags never see shared runs", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    await sb.git("tag", "v1.0");
    await sb.git("push", "-q", "origin", "v1.0");
    await sb.write("later.txt", "x\n");
    await sb.git("add", "later.txt");
    await sb.git("commit", "-qm", "later");
    await sb.git("push", "-q", "origin", "main");
    await stampRun(sb, "shared1");
    assertEquals((await sb.runprov(["push", "shared1"])).code, 0);
    const clone = await cloneOf(sb, remote, "plain");
    assertEquals(await refsOf(sb, clone, "refs/runprov/"), "");
    assertEquals(
      (await sb.gitIn(clone, "for-each-ref", "--format=%(refname)")).trim().split("\n"),
      ["refs/heads/main", "refs/remotes/origin/HEAD", "refs/remotes/origin/main", "refs/tags/v1.0"],
    );
    await sb.gitIn(clone, "fetch", "-q");
    await sb.gitIn(clone, "fetch", "-q", "--tags");
    assertEquals(await refsOf(sb, clone, "refs/runprov/"), "");
    assertEquals(
      (await sb.gitIn(clone, "describe", "--tags")).trim(),
      (await sb.git("describe", "--tags")).trim(),
    );
    assertMatch((await sb.gitIn(clone, "describe", "--tags")).trim(), /^v1\.0-1-g[0-9a-f]+$/);
  });
});

Deno.test("push: unknown run, URL as --remote, unknown remote, still running: exit 2, nothing pushed", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    await stampRun(sb, "r1");
    const cases: [string[], RegExp][] = [
      [["push", "nope"], /no run "nope" to push/],
      [["push", "r1", "--remote", "https://u:tok@h/r.git"], /is not a remote name/],
      [["push", "r1", "--remote", "upstream"], /no remote "upstream" in this repository/],
      [["push"], /push: which runs\?/],
      [["push", "--all", "r1"], /run ids or --all, not both/],
    ];
    for (const [args, re] of cases) {
      const r = await sb.runprov(args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertMatch(r.stderr, re);
      assert(!r.stderr.includes("tok@"), r.stderr);
    }
    // A record whose supervisor is this (live) test process is still running.
    const path = join(sb.dir, ".runprov", "runs", "r1.json");
    const rec = JSON.parse(await Deno.readTextFile(path));
    const running = {
      ...rec,
      run_id: "live",
      status: "running",
      command: { argv: ["x"], cwd: sb.dir, started_at: rec.created_at, supervisor_pid: Deno.pid },
    };
    await Deno.writeTextFile(
      join(sb.dir, ".runprov", "runs", "live.json"),
      JSON.stringify(running),
    );
    const r = await sb.runprov(["push", "live"]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, /run live is still running/);
    const all = await sb.runprov(["push", "--all"]);
    assertEquals(all.code, 0, all.stderr);
    assertMatch(all.stderr, /skipping run live: it is still running/);
    assertMatch(all.stderr, /pushed run r1 to origin/);
    const listed = await sb.json(["runs", "--json"]);
    assertEquals(
      listed.map((e: { id: string; shared?: boolean }) => [e.id, e.shared === true]).sort(),
      [["live", false], ["r1", true]],
      "runs knows which runs are shared",
    );
    assertEquals((await refsOf(sb, remote, "refs/runprov/runs/")).trim().split("\n").length, 1);
    const none = await sb.runprov(["push", "--all"]);
    assertEquals(none.code, 0, none.stderr);
    assertMatch(none.stderr, /nothing to push/);
  });
});

Deno.test("push: a run whose commit is not in this repository is exit 4 saying so; the others go", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    const other = await cloneOf(sb, remote, "other");
    await sb.gitIn(other, "commit", "-q", "--allow-empty", "-m", "only over there");
    await stampRun(sb, "there", { cwd: other });
    await stampRun(sb, "here");
    await Deno.copyFile(
      join(other, ".runprov", "runs", "there.json"),
      join(sb.dir, ".runprov", "runs", "there.json"),
    );
    const r = await sb.runprov(["push", "there", "here"]);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /run there's commit [0-9a-f]{40} is not in this repository/);
    assertMatch(r.stderr, /pushed run here to origin/);
    assertEquals(
      (await refsOf(sb, remote, "refs/runprov/runs/")).trim().split("\n").map((l) =>
        l.split(" ")[1]
      ),
      ["refs/runprov/runs/here"],
    );
  });
});
