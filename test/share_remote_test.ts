/**
 * `runprov runs --remote R` and `runprov show ID` of a run only on the remote, against a
 * remote holding 10,000 shared runs (written at once with git fast-import, exactly as
 * `runprov push` writes run commits): one git process to list them, and `show` moves that
 * one run's objects and nothing else.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, Sandbox, withSandbox } from "./helpers.ts";
import { bareRemote, cloneOf, objectCount, refsOf } from "./share_helpers.ts";
import { fakeGit } from "../testkit/fake_git.ts";
import { type RunCommitParts, runCommitsStream } from "../lib/share/run_commit.ts";
import { sha256Hex } from "../lib/util/sha256.ts";

/**
 * Put `n` clean runs (ids `run-00000`...) on the bare repository `remote`, as run commits
 * of a record stamped in `sb`, with refs/runprov/runs/<id> in packed-refs. Returns the ids.
 */
async function manyRuns(sb: Sandbox, remote: string, n: number): Promise<string[]> {
  const r = await sb.runprov(["stamp", "--run-id", "template"]);
  assertEquals(r.code, 0, r.stderr);
  const template = JSON.parse(r.stdout);
  const ids = Array.from({ length: n }, (_, i) => `run-${String(i).padStart(5, "0")}`);
  const enc = new TextEncoder();
  const parts: RunCommitParts[] = ids.map((id) => {
    const record = enc.encode(JSON.stringify({ ...template, run_id: id }, null, 2) + "\n");
    return {
      id,
      record,
      recordSha256: sha256Hex(record),
      patch: null,
      patchSha256: null,
      snapshot: template.git.sha,
      recordedCommit: template.git.sha,
      createdAt: template.created_at,
    };
  });
  const stream = join(sb.base, "runs.stream");
  await Deno.writeFile(stream, runCommitsStream(parts, "refs/runprov/tmp/gen"));
  // No fsync: 30,000 objects on a shared disk would take most of the test's time.
  const out = await run("sh", [
    "-c",
    `git -c core.fsync=none fast-import --quiet --done < '${stream}'`,
  ], { cwd: remote, env: sb.env });
  assertEquals(out.code, 0, out.stderr);
  const commits = out.stdout.trim().split("\n");
  // The refs go straight into packed-refs (sorted), as git pack-refs would leave them.
  const refs = ids.map((id, i) => `${commits[i]} refs/runprov/runs/${id}\n`).join("");
  const packed = join(remote, "packed-refs");
  const have = await Deno.readTextFile(packed).catch(() =>
    "# pack-refs with: peeled fully-peeled sorted \n"
  );
  const lines = [...have.split("\n").slice(1).filter(Boolean), ...refs.trim().split("\n")];
  lines.sort((a, b) => (a.slice(a.indexOf(" ")) < b.slice(b.indexOf(" ")) ? -1 : 1));
  await Deno.writeTextFile(packed, `${have.split("\n")[0]}\n${lines.join("\n")}\n`);
  assertEquals(
    (await sb.gitIn(remote, "for-each-ref", "--count=2", "--format=%(refname)", "refs/runprov/"))
      .trim(),
    "refs/runprov/runs/run-00000\nrefs/runprov/runs/run-00001",
  );
  return ids;
}

Deno.test("runs --remote over 10,000 shared runs: one git process, every id, no objects fetched", async () => {
  await withSandbox(async (sb) => {
    const remote = await bareRemote(sb);
    await sb.git("push", "-q", "origin", "main");
    const ids = await manyRuns(sb, remote, 10_000);
    const mate = await cloneOf(sb, remote, "teammate");
    const git = await fakeGit(sb.base);
    const PATH = git.path(sb.env.PATH);
    const objects = await objectCount(sb, mate);
    const r = await sb.runprov(["runs", "--remote", "origin"], { cwd: mate, env: { PATH } });
    assertEquals(r.code, 0, r.stderr);
    const calls = await git.calls();
    assertEquals(calls.length, 1, calls.join("\n"));
    assertMatch(calls[0], /ls-remote --refs -- origin refs\/runprov\/runs\/\*$/);
    const lines = r.stdout.trim().split("\n");
    assertEquals(lines[0], "ID         COMMIT");
    assertEquals(lines.length, 10_001);
    assertEquals(lines.slice(1).map((l) => l.split(/\s+/)[0]), ids);
    assertMatch(lines[1], /^run-00000 {2}[0-9a-f]{12}$/);
    assertMatch(r.stderr, /10000 run\(s\) on origin, from its refs only/);
    assertEquals(await objectCount(sb, mate), objects, "nothing fetched");
    assertEquals(await refsOf(sb, mate, "refs/runprov/"), "");
    const json = await sb.json(["runs", "--remote", "origin", "--json", "--limit", "2"], {
      cwd: mate,
    });
    assertEquals(json.map((x: { id: string }) => x.id), ["run-00000", "run-00001"]);
    assertEquals(
      json[0].commit,
      (await sb.gitIn(remote, "rev-parse", "refs/runprov/runs/run-00000")).trim(),
    );
  });
});

Deno.test("show ID of a run only on the remote fetches that run alone (object count), then shows it", async () => {
  await withSandbox(async (sb) => {
    const remote = await bareRemote(sb);
    await sb.git("push", "-q", "origin", "main");
    await manyRuns(sb, remote, 10_000);
    const mate = await cloneOf(sb, remote, "teammate");
    const before = await objectCount(sb, mate);
    // What that run adds to a clone that has main: its run commit, tree and record blob.
    const own =
      (await sb.gitIn(remote, "rev-list", "--objects", "refs/runprov/runs/run-04321", "^main"))
        .trim().split("\n").length;
    assertEquals(own, 3);
    const r = await sb.runprov(["show", "run-04321"], { cwd: mate });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^run\s+run-04321$/m);
    assertMatch(r.stderr, /fetched run run-04321 from origin/);
    assertEquals(await objectCount(sb, mate) - before, own, "only that run's objects moved");
    assertEquals(
      (await refsOf(sb, mate, "refs/runprov/runs/")).trim().split("\n").map((l) => l.split(" ")[1]),
      ["refs/runprov/runs/run-04321"],
    );
    assertEquals([...Deno.readDirSync(join(mate, ".runprov", "runs"))].map((e) => e.name), [
      "run-04321.json",
    ]);
    // A run that is nowhere is still "no run" (exit 2), after asking the remote.
    const none = await sb.runprov(["show", "nowhere"], { cwd: mate });
    assertEquals(none.code, 2, none.stderr);
    assertMatch(none.stderr, /no run nowhere/);
    assert(!none.stderr.includes("internal"));
  });
});

Deno.test("runs --remote: an unreachable remote is exit 5 with its reason; a URL is refused (2)", async () => {
  await withSandbox(async (sb) => {
    await sb.git("remote", "add", "origin", join(sb.base, "missing.git"));
    const r = await sb.runprov(["runs", "--remote", "origin"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(
      r.stderr,
      /cannot list the runs of origin: fatal: '.*missing\.git' does not appear/,
    );
    const url = await sb.runprov(["runs", "--remote", "https://u:tok3n@h/r.git"]);
    assertEquals(url.code, 2, url.stderr);
    assert(!url.stderr.includes("tok3n"));
  });
});
