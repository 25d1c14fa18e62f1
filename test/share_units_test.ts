/**
 * Sharing runs, the pure parts: ref names and refspecs, ls-remote output, push porcelain for
 * many refs, cat-file --batch output, the run commit (message, fast-import stream, checks of
 * a fetched one) and which remote is used. Plus one real `git fast-import` of the stream:
 * the same run gives the same commit id, with exactly record.json and run.patch in its tree.
 */
import { configWith } from "../testkit/config.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "./assert.ts";
import {
  fetchRefspecs,
  isRunId,
  parseLocalRuns,
  parseLsRemote,
  pushRefspec,
  runIdOfRef,
  runRef,
} from "../lib/share/refs.ts";
import {
  commitTime,
  type FetchedRun,
  parseCommitObject,
  runCommitMessage,
  type RunCommitParts,
  runCommitProblem,
  runCommitsStream,
  treeNames,
} from "../lib/share/run_commit.ts";
import { checkRemoteName, execPushesRun, shareRemote } from "../lib/share/settings.ts";
import { parseCatFileBatch, parsePushResults, remoteSaid } from "../lib/git/parse.ts";
import { sha256Hex } from "../lib/util/sha256.ts";
import { runIdProblem } from "../lib/run/run_id.ts";
import { run, withSandbox } from "./helpers.ts";
import { join } from "node:path";

const enc = new TextEncoder();
const A = "a".repeat(40);
const B = "b".repeat(40);

Deno.test("share refs: run ids map to refs/runprov/runs/<id> and back; others are not runs", () => {
  assertEquals(runRef("k3x9q0ab"), "refs/runprov/runs/k3x9q0ab");
  assertEquals(runIdOfRef("refs/runprov/runs/exp-1.2"), "exp-1.2");
  assertEquals(runIdOfRef("refs/runprov/runs/a/b"), null);
  assertEquals(runIdOfRef("refs/runprov/runs/..x"), null);
  assertEquals(runIdOfRef("refs/runprov/snapshots/a"), null);
  assertEquals(runIdOfRef("refs/heads/main"), null);
});

Deno.test("share refs: isRunId agrees with the run-id rules on edge cases and random names", () => {
  const edge = [
    "",
    "a",
    "-a",
    "a.",
    "a..b",
    "a.lock",
    "a.LOCK",
    "a.lock.b",
    "x".repeat(128),
    "x".repeat(129),
    "é",
    "a b",
    "a/b",
    "a_b-c.d",
  ];
  const alphabet = "aZ09._-/ é.lock";
  const random = Array.from({ length: 2000 }, () => {
    const n = Math.floor(Math.random() * 12);
    return Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)])
      .join("");
  });
  for (const id of [...edge, ...random]) {
    assertEquals(isRunId(id), runIdProblem(id) === null, JSON.stringify(id));
  }
});

Deno.test("share refs: refspecs are never forced and name the same ref on both sides", () => {
  assertEquals(pushRefspec("a1", A), `${A}:refs/runprov/runs/a1`);
  assertEquals(fetchRefspecs([]), ["refs/runprov/runs/*:refs/runprov/runs/*"]);
  assertEquals(fetchRefspecs(["a1", "b2"]), [
    "refs/runprov/runs/a1:refs/runprov/runs/a1",
    "refs/runprov/runs/b2:refs/runprov/runs/b2",
  ]);
  for (const spec of [...fetchRefspecs([]), pushRefspec("x", A)]) assert(!spec.startsWith("+"));
});

Deno.test("share refs: ls-remote output gives sorted run ids, counting foreign names", () => {
  const out = [
    `${B}\trefs/runprov/runs/zz`,
    `${A}\trefs/runprov/runs/aa`,
    `${A}\trefs/runprov/runs/bad/nested`,
    `${A}\trefs/heads/main`,
    `${"c".repeat(64)}\trefs/runprov/runs/sha256run`,
    "warning: something",
    "",
  ].join("\n");
  const { runs, ignored } = parseLsRemote(out);
  assertEquals(runs, [
    { id: "aa", commit: A },
    { id: "sha256run", commit: "c".repeat(64) },
    { id: "zz", commit: B },
  ]);
  assertEquals(ignored, 1);
  assertEquals(
    [...parseLocalRuns(new Map([["refs/runprov/runs/x", A], ["refs/runprov/runs/y/z", B]]))],
    [["x", A]],
  );
});

Deno.test("push porcelain: one result per ref, whatever the order and the failures", () => {
  const stdout = [
    "To ../remote.git",
    `*\t${A}:refs/runprov/runs/a\t[new reference]`,
    `=\t${A}:refs/runprov/runs/b\t[up to date]`,
    `!\t${B}:refs/runprov/runs/c\t[rejected] (fetch first)`,
    `!\t${B}:refs/runprov/runs/d\t[remote rejected] (pre-receive hook declined)`,
    "Done",
  ].join("\n");
  const refs = ["a", "b", "c", "d"].map((x) => `refs/runprov/runs/${x}`);
  const got = parsePushResults(stdout, "remote: no custom refs here\n", 1, refs);
  assertEquals(refs.map((r) => got.get(r)!.status), [
    "new",
    "up-to-date",
    "rejected",
    "remote-rejected",
  ]);
  assertEquals(got.get(refs[2])!.reason, "fetch first");
  assertEquals(got.get(refs[3])!.reason, "pre-receive hook declined");
  assertEquals(
    remoteSaid("remote: no custom refs here\nremote: \nfatal: x\n"),
    "no custom refs here",
  );
  const dead = parsePushResults("", "fatal: unable to connect to 127.0.0.1\n", 128, refs);
  for (const r of refs) {
    assertEquals(dead.get(r)!.status, "failed");
    assertEquals(dead.get(r)!.reason, "fatal: unable to connect to 127.0.0.1");
  }
});

Deno.test("cat-file --batch output: objects with NUL and newline bytes, and missing names", () => {
  const blob = new Uint8Array([0, 10, 255, 10]);
  const out = new Uint8Array([
    ...enc.encode(`${A} blob 4\n`),
    ...blob,
    10,
    ...enc.encode(`${B}:run.patch missing\n`),
    ...enc.encode(`${B} commit 3\nabc\n`),
  ]);
  const got = parseCatFileBatch(out, 3);
  assertEquals(got[0]?.bytes, blob);
  assertEquals(got[1], null);
  assertEquals(got[2]?.type, "commit");
  assertThrows(() => parseCatFileBatch(out.subarray(0, 10), 1));
});

Deno.test("remote resolution: --remote, then share.remote, then tag.remote, then origin", () => {
  assertEquals(shareRemote("up", configWith({ share: { remote: "runs" } })), {
    remote: "up",
    source: "--remote",
  });
  assertEquals(
    shareRemote(undefined, configWith({ share: { remote: "runs" }, tag: { remote: "t" } })).remote,
    "runs",
  );
  assertEquals(
    shareRemote(undefined, configWith({ share: { remote: "" }, tag: { remote: "t" } })),
    { remote: "t", source: "tag.remote" },
  );
  assertEquals(shareRemote(undefined, configWith()), { remote: "origin", source: "default" });
  assertEquals(shareRemote(undefined), { remote: "origin", source: "default" });
  assertEquals(execPushesRun(undefined, configWith({ share: { push: true } })), true);
  assertEquals(execPushesRun(true, configWith()), true);
  assertEquals(execPushesRun(undefined, configWith()), false);
});

Deno.test("remote resolution: a URL is refused as --remote, without echoing its token", () => {
  for (const url of ["https://u:tok3n@host/r.git", "git@host:o/r", "ssh://h/r", "-x", "host:r"]) {
    let msg = "";
    try {
      checkRemoteName(url);
    } catch (err) {
      msg = (err as Error).message;
    }
    assertMatch(msg, /is not a remote name/);
    assert(!msg.includes("tok3n"), msg);
  }
  assertEquals(checkRemoteName("../remote.git"), "../remote.git");
  assertEquals(checkRemoteName("team/origin"), "team/origin");
});

function parts(over: Partial<RunCommitParts> = {}): RunCommitParts {
  const record = enc.encode('{"run_id":"r1"}\n');
  return {
    id: "r1",
    record,
    recordSha256: sha256Hex(record),
    patch: null,
    patchSha256: null,
    snapshot: A,
    recordedCommit: A,
    createdAt: "2026-01-02T03:04:05.678Z",
    ...over,
  };
}

Deno.test("run commit message: names the run, its record, patch and snapshot as trailers", () => {
  const patch = enc.encode("diff\n");
  const msg = runCommitMessage(parts({ patch, patchSha256: sha256Hex(patch) }));
  assertEquals(msg.split("\n")[0], "runprov run r1");
  assertMatch(msg, new RegExp(`^Runprov-Snapshot: ${A}$`, "m"));
  assertMatch(msg, new RegExp(`^Runprov-Patch-Sha256: ${sha256Hex(patch)}$`, "m"));
  assertMatch(msg, /^Runprov-Run-Created: 2026-01-02T03:04:05.678Z$/m);
  const none = runCommitMessage(parts({ snapshot: null, noSnapshot: "no git\nhere" }));
  assertMatch(none, /^Runprov-Snapshot: none$/m);
  assertMatch(none, /without its code: no git here/);
  assertEquals(commitTime("2026-01-02T03:04:05.678Z"), 1767323045);
  assertEquals(commitTime("garbage"), 0);
});

function fetched(over: Partial<FetchedRun> = {}, recordText?: string): FetchedRun {
  const record = enc.encode(
    recordText ?? JSON.stringify({
      schema: "runprov.run/1",
      run_id: "r1",
      created_at: "2026-01-01T00:00:00Z",
      git: { sha: A, dirty: false, patch: null },
      policy: {},
      host: {},
    }),
  );
  const p = parts({ record, recordSha256: sha256Hex(record) });
  return {
    id: "r1",
    commit: { tree: B, parents: [A], message: runCommitMessage(p) },
    record,
    patch: null,
    names: ["record.json"],
    ...over,
  };
}

Deno.test("fetched run commit: a run commit runprov wrote passes; anything else says why", () => {
  const ok = runCommitProblem(fetched(), sha256Hex);
  assert(!("problem" in ok));
  assertEquals(ok.snapshot, A);
  const problem = (f: FetchedRun) => {
    const r = runCommitProblem(f, sha256Hex);
    return "problem" in r ? r.problem : "";
  };
  assertMatch(problem(fetched({ id: "r2" })), /does not name this run/);
  assertMatch(problem(fetched({ names: ["record.json", "evil.sh"] })), /other files \(evil.sh\)/);
  assertMatch(problem(fetched({ record: enc.encode("{}") })), /not the record its message names/);
  assertMatch(problem(fetched({ patch: enc.encode("x") })), /record does not name/);
  assertMatch(
    problem({ ...fetched(), commit: { ...fetched().commit, parents: [B] } }),
    /parent is not the snapshot/,
  );
});

Deno.test("commit object text: tree, parents and the message after the header", () => {
  const c = parseCommitObject(`tree ${B}\nparent ${A}\nauthor x <y> 1 +0000\n\nline\n\nmore\n`);
  assertEquals(c, { tree: B, parents: [A], message: "line\n\nmore\n" });
  assertEquals(parseCommitObject(`tree ${B}\n\nroot\n`).parents, []);
});

Deno.test("run commit: fast-import writes the same commit id twice, tree = record.json + run.patch", async () => {
  await withSandbox(async (sb) => {
    await sb.write("train.py", "print(1)\n");
    await sb.git("add", "train.py");
    await sb.git("commit", "-q", "-m", "code");
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    const record = enc.encode('{"run_id":"r1","x":"\\u0000"}\n');
    const patch = new Uint8Array([0, 1, 2, 10, 255]);
    const p: RunCommitParts = parts({
      record,
      recordSha256: sha256Hex(record),
      patch,
      patchSha256: sha256Hex(patch),
      snapshot: head,
      recordedCommit: head,
    });
    const bare = parts({ id: "r2", snapshot: null, noSnapshot: "no git", recordedCommit: null });
    const importOnce = async () => {
      const file = join(sb.base, "stream");
      await Deno.writeFile(file, runCommitsStream([p, bare], "refs/runprov/tmp/t1"));
      const r = await run("sh", ["-c", `git fast-import --quiet --done < '${file}'`], {
        cwd: sb.dir,
        env: sb.env,
      });
      assertEquals(r.code, 0, r.stderr);
      return r.stdout.trim().split("\n");
    };
    const [c1, c2] = await importOnce();
    assertEquals(await importOnce(), [c1, c2], "deterministic");
    assertEquals((await sb.git("ls-tree", "--name-only", c1)).split("\n").filter(Boolean), [
      "record.json",
      "run.patch",
    ]);
    assertEquals((await sb.git("rev-parse", `${c1}^@`)).trim(), head);
    assertEquals((await sb.git("rev-list", "--parents", "-n1", c2)).trim(), c2, "no parent");
    const blob = await run("git", ["cat-file", "blob", `${c1}:run.patch`], {
      cwd: sb.dir,
      env: sb.env,
    });
    assertEquals(blob.stdoutBytes, patch);
    assertEquals(await sb.git("for-each-ref", "refs/runprov/"), "", "no ref written");
    const tree = await run("git", ["cat-file", "tree", c1], { cwd: sb.dir, env: sb.env });
    assertEquals(treeNames(tree.stdoutBytes, 20), ["record.json", "run.patch"]);
  });
});
