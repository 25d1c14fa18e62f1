/**
 * `runprov fetch` on real remotes (a bare repository over the file transport, and `git
 * daemon` on 127.0.0.1): a teammate's fresh clone gets the records byte for byte and the
 * exact code back; conflicts, unknown ids, foreign refs and unreachable remotes change
 * nothing.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { run, Sandbox, withSandbox } from "./helpers.ts";
import {
  bareRemote,
  checkoutState,
  cloneOf,
  fileSha256,
  refsOf,
  startDaemon,
} from "./share_helpers.ts";

async function stampRun(sb: Sandbox, id: string, opts: { cwd?: string } = {}) {
  const r = await sb.runprov(["stamp", "--run-id", id], opts);
  assertEquals(r.code, 0, r.stderr);
}

async function sharedRepo(sb: Sandbox): Promise<string> {
  const remote = await bareRemote(sb);
  await sb.git("push", "-q", "origin", "main");
  return remote;
}

const records = (dir: string) => join(dir, ".runprov", "runs");

for (const daemon of [false, true]) {
  const over = daemon ? "git daemon on 127.0.0.1" : "a bare repository (file transport)";
  Deno.test(`fetch over ${over}: a fresh clone gets byte-identical records and restores the exact code`, async () => {
    await withSandbox(async (sb) => {
      await sharedRepo(sb);
      const d = daemon ? await startDaemon(sb, sb.base) : null;
      try {
        if (d) await sb.git("remote", "set-url", "origin", `${d.url}origin.git`);
        await stampRun(sb, "clean1");
        // A dirty run: an edited file, a staged binary with NUL bytes, a deleted file.
        await sb.write("README.md", "hello\nedited during the run\n");
        const bin = new Uint8Array([0, 1, 2, 0, 255, 10, 0, 13]);
        await Deno.writeFile(join(sb.dir, "weights.bin"), bin);
        await sb.git("add", "weights.bin");
        await stampRun(sb, "dirty1");
        const pushed = await sb.runprov(["push", "clean1", "dirty1"]);
        assertEquals(pushed.code, 0, pushed.stderr);

        const url = d ? `${d.url}origin.git` : join(sb.base, "origin.git");
        const mate = await cloneOf(sb, url, "teammate");
        const f = await sb.runprov(["fetch"], { cwd: mate });
        assertEquals(f.code, 0, f.stderr);
        assertMatch(f.stderr, /fetched run clean1 from origin/);
        assertMatch(f.stderr, /fetched run dirty1 from origin/);
        for (const name of ["clean1.json", "dirty1.json", "dirty1.patch"]) {
          assertEquals(
            await fileSha256(join(records(mate), name)),
            await fileSha256(join(records(sb.dir), name)),
            `${name} byte-identical`,
          );
        }
        assertEquals(await Deno.readTextFile(join(mate, ".runprov", ".gitignore")), "*\n");
        assertEquals(await sb.gitIn(mate, "status", "--porcelain"), "", "records do not dirty");
        // runs, show and restore work as on local runs; restore gives the exact bytes.
        const runs = await sb.json(["runs", "--json"], { cwd: mate });
        assertEquals(runs.map((r: { id: string }) => r.id).sort(), ["clean1", "dirty1"]);
        assert(runs.every((r: { shared?: boolean }) => r.shared === true), "listed as shared");
        const table = await sb.runprov(["runs"], { cwd: mate });
        assertMatch(table.stdout, /^dirty1 .*\+shared/m);
        const show = await sb.runprov(["show", "dirty1"], { cwd: mate });
        assertEquals(show.code, 0, show.stderr);
        assertMatch(show.stdout, /^tree\s+dirty: /m);
        const dir = join(sb.base, "restored");
        const r = await sb.runprov(["restore", "dirty1", dir], { cwd: mate });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(await Deno.readFile(join(dir, "weights.bin")), bin);
        assertEquals(
          await Deno.readTextFile(join(dir, "README.md")),
          "hello\nedited during the run\n",
        );
        const v = await sb.runprov(["-C", dir, "verify", "dirty1"], { cwd: mate });
        assertEquals(v.code, 0, v.stdout + v.stderr);
        const clean = await sb.runprov(["restore", "--print", "clean1"], { cwd: mate });
        assertEquals(clean.stdout.trim(), (await sb.git("rev-parse", "HEAD")).trim());
        // Fetching again changes nothing.
        const state = await checkoutState(sb, mate);
        const again = await sb.runprov(["fetch", "--json"], { cwd: mate });
        assertEquals(again.code, 0, again.stderr);
        assertEquals(
          JSON.parse(again.stdout).map((o: { status: string }) => o.status),
          ["up-to-date", "up-to-date"],
        );
        assertEquals(await checkoutState(sb, mate), state);
      } finally {
        await d?.stop();
      }
    });
  });
}

Deno.test("fetch: a local record with the same id and other content is exit 5; nothing overwritten", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    await stampRun(sb, "same");
    await stampRun(sb, "other");
    assertEquals((await sb.runprov(["push", "same", "other"])).code, 0);
    const mate = await cloneOf(sb, remote, "teammate");
    await stampRun(sb, "same", { cwd: mate }); // the teammate's own run "same"
    const mine = await Deno.readFile(join(records(mate), "same.json"));
    const r = await sb.runprov(["fetch"], { cwd: mate });
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /run same on origin is not the run same here: .*same\.json differs/);
    assertMatch(r.stderr, /fetched run other from origin/);
    assertEquals(await Deno.readFile(join(records(mate), "same.json")), mine, "kept as it was");
    assertEquals(await refsOf(sb, mate, "refs/runprov/runs/same"), "", "no ref left behind");
  });
});

Deno.test("fetch: a FIFO where a run's record goes is exit 5, never opened or replaced", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    await stampRun(sb, "piped");
    await stampRun(sb, "other");
    assertEquals((await sb.runprov(["push", "piped", "other"])).code, 0);
    const mate = await cloneOf(sb, remote, "teammate");
    await Deno.mkdir(records(mate), { recursive: true });
    const fifo = join(records(mate), "piped.json");
    assertEquals((await run("mkfifo", [fifo])).code, 0);
    // Reading the FIFO would block for ever: a runprov still there after 30 s is killed.
    const child = sb.spawnRunprov(["fetch"], { cwd: mate });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const out = await child.output();
    clearTimeout(timer);
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 5, stderr);
    assertMatch(stderr, /run piped on origin is not the run piped here: .*piped\.json/);
    assertMatch(stderr, /fetched run other from origin/);
    assert((await Deno.lstat(fifo)).isFifo, "the FIFO is left as it was");
    assertEquals(await refsOf(sb, mate, "refs/runprov/runs/piped"), "", "no ref left behind");
  });
});

Deno.test("fetch: a local run ref holding another run is exit 5; ref and record stay", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    await stampRun(sb, "same");
    assertEquals((await sb.runprov(["push", "same"])).code, 0);
    const mate = await cloneOf(sb, remote, "teammate");
    // The teammate shared their own "same" elsewhere: their local run ref names it.
    await sb.gitIn(mate, "init", "-q", "--bare", join(sb.base, "mine.git"));
    await sb.gitIn(mate, "remote", "add", "mine", join(sb.base, "mine.git"));
    await stampRun(sb, "same", { cwd: mate });
    assertEquals((await sb.runprov(["push", "same", "--remote", "mine"], { cwd: mate })).code, 0);
    const before = await checkoutState(sb, mate);
    const r = await sb.runprov(["fetch", "same"], { cwd: mate });
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /run same on origin \([0-9a-f]{12}\) is not the run same here/);
    assertEquals(await checkoutState(sb, mate), before);
  });
});

Deno.test("fetch ID: only that run; an id the remote lacks is exit 2 and the others still come", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    for (const id of ["a1", "b2", "c3"]) await stampRun(sb, id);
    assertEquals((await sb.runprov(["push", "--all"])).code, 0);
    const mate = await cloneOf(sb, remote, "teammate");
    const r = await sb.runprov(["fetch", "b2", "zz9"], { cwd: mate });
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, /no run zz9 on origin/);
    assertMatch(r.stderr, /hint: list the runs there with: runprov runs --remote origin/);
    assertEquals([...Deno.readDirSync(records(mate))].map((e) => e.name), ["b2.json"]);
    assertEquals(
      (await refsOf(sb, mate, "refs/runprov/runs/")).trim().split("\n").length,
      1,
      "only b2's ref",
    );
  });
});

Deno.test("fetch: a ref under refs/runprov/runs/ that runprov did not write is refused, nothing kept", async () => {
  await withSandbox(async (sb) => {
    const remote = await sharedRepo(sb);
    // Someone pushed an ordinary commit there.
    await sb.git("push", "-q", "origin", "HEAD:refs/runprov/runs/evil");
    const mate = await cloneOf(sb, remote, "teammate");
    const before = await checkoutState(sb, mate);
    const r = await sb.runprov(["fetch"], { cwd: mate });
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /refs\/runprov\/runs\/evil on origin is not a run runprov shared/);
    assertEquals(await checkoutState(sb, mate), before);
  });
});

Deno.test("fetch: an unreachable remote is exit 5 with git's reason; nothing changes", async () => {
  await withSandbox(async (sb) => {
    await sharedRepo(sb);
    await sb.git("remote", "set-url", "origin", join(sb.base, "gone.git"));
    const before = await checkoutState(sb);
    const r = await sb.runprov(["fetch"]);
    assertEquals(r.code, 5, r.stderr);
    assertMatch(r.stderr, /cannot fetch runs from origin: fatal: '.*gone\.git' does not appear/);
    assertMatch(r.stderr, /hint: check that origin is reachable/);
    assertEquals(await checkoutState(sb), before);
    const bad = await sb.runprov(["fetch", "../x"]);
    assertEquals(bad.code, 2, bad.stderr);
    assert(!bad.stderr.includes("internal"));
  });
});
