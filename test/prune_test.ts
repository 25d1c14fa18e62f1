/**
 * Records nobody wants: `runs --status/--since/--before` find them, `prune` removes them
 * (a dry run unless --yes), and never a tagged, pushed or running run's record.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { join } from "node:path";
import { type Sandbox, withSandbox } from "./helpers.ts";

async function ids(sb: Sandbox, args: string[]): Promise<string[]> {
  return (await sb.json(["runs", "--json", ...args])).map((e: { id: string }) => e.id);
}

/** A record whose created_at is moved to `when` (the file is rewritten in place). */
async function backdate(sb: Sandbox, id: string, when: string): Promise<void> {
  const file = join(sb.dir, ".runprov/runs", `${id}.json`);
  const rec = JSON.parse(await Deno.readTextFile(file));
  rec.created_at = when;
  await Deno.writeTextFile(file, JSON.stringify(rec, null, 2) + "\n");
}

Deno.test("runs: --status, --since and --before select runs; a bad value is exit 2", async () => {
  await withSandbox(async (sb) => {
    for (const id of ["c1", "c2"]) {
      assertEquals((await sb.runprov(["stamp", "--run-id", id])).code, 0);
    }
    assertEquals((await sb.runprov(["exec", "--run-id", "ok1", "--", "true"])).code, 0);
    assertEquals((await sb.runprov(["exec", "--run-id", "bad1", "--", "false"])).code, 1);
    await backdate(sb, "c1", "2026-01-01T00:00:00.000Z");
    assertEquals(await ids(sb, ["--status", "captured"]), ["c2", "c1"]);
    assertEquals(await ids(sb, ["--status", "succeeded,failed"]).then((l) => l.sort()), [
      "bad1",
      "ok1",
    ]);
    assertEquals(await ids(sb, ["--status", "captured", "--before", "2026-06-01"]), ["c1"]);
    assertEquals(await ids(sb, ["--status", "captured", "--since", "2026-06-01"]), ["c2"]);
    assertEquals(await ids(sb, ["--since", "1h", "--status", "captured"]), ["c2"]);
    const none = await sb.runprov(["runs", "--status", "lost"]);
    assertEquals(none.code, 0);
    assertMatch(none.stderr, /no runs match \(4 without the filters\)/);
    for (const bad of [["--status", "done"], ["--since", "yesterday"], ["--before", "7y"]]) {
      const r = await sb.runprov(["runs", ...bad]);
      assertEquals(r.code, 2, bad.join(" "));
      assertEquals(r.stdout, "");
      assert(r.stderr.length < 400);
    }
  });
});

Deno.test("prune: a dry run by default; --yes removes captured records, their patch and snapshot ref", async () => {
  await withSandbox(async (sb) => {
    assertEquals((await sb.runprov(["stamp", "--run-id", "c1"])).code, 0);
    await sb.write("README.md", "edited\n");
    assertEquals((await sb.runprov(["stamp", "--run-id", "dirty1"])).code, 0);
    assertEquals((await sb.runprov(["exec", "--run-id", "done1", "--", "true"])).code, 0);
    const runs = join(sb.dir, ".runprov/runs");
    assert(await Deno.stat(join(runs, "dirty1.patch")).then(() => true));
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    await sb.git("update-ref", "refs/runprov/snapshots/c1", head);

    const dry = await sb.runprov(["prune"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(dry.stdout, /^would remove c1 /m);
    assertMatch(dry.stdout, /^would remove dirty1 /m);
    assert(!dry.stdout.includes("done1"));
    assertMatch(dry.stderr, /dry run: 2 record\(s\) would be removed; run again with --yes/);
    assertEquals(
      [...Deno.readDirSync(runs)].map((e) => e.name).filter((n) => !n.startsWith("."))
        .sort(),
      ["c1.json", "dirty1.json", "dirty1.patch", "done1.json", "done1.patch"],
    );

    const real = await sb.runprov(["prune", "--yes"]);
    assertEquals(real.code, 0, real.stderr);
    assertMatch(real.stdout, /^removed c1 /m);
    assertEquals(
      [...Deno.readDirSync(runs)].map((e) => e.name).filter((n) => !n.startsWith("."))
        .sort(),
      ["done1.json", "done1.patch"],
    );
    assertEquals(await sb.git("for-each-ref", "refs/runprov/snapshots/"), "");
    assertEquals(await ids(sb, []), ["done1"]);
  });
});

Deno.test("prune: never a tagged, pushed or running run's record, whatever the filters", async () => {
  await withSandbox(async (sb) => {
    for (const id of ["tagged1", "pushed1", "plain1"]) {
      assertEquals((await sb.runprov(["exec", "--run-id", id, "--", "true"])).code, 0);
    }
    assertEquals((await sb.runprov(["tag", "--run", "tagged1"])).code, 0);
    const head = (await sb.git("rev-parse", "HEAD")).trim();
    await sb.git("update-ref", "refs/runprov/runs/pushed1", head);
    // A live run: its supervisor is this exec, alive while `sleep` runs.
    const live = sb.spawnRunprov(["exec", "--run-id", "live1", "--", "sleep", "30"]);
    try {
      const file = join(sb.dir, ".runprov/runs/live1.json");
      for (let i = 0; i < 200; i++) {
        const rec = await Deno.readTextFile(file).then(JSON.parse, () => null);
        if (rec?.status === "running") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await sb.runprov(["prune", "--yes", "--status", "succeeded,running,lost"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /^removed plain1 /m);
      assertMatch(r.stdout, /^kept tagged1: tagged \(run\/tagged1\)$/m);
      assertMatch(r.stdout, /^kept pushed1: pushed \(refs\/runprov\/runs\/pushed1\)$/m);
      assertMatch(r.stdout, /^kept live1: running$/m);
      assertEquals((await ids(sb, [])).sort(), ["live1", "pushed1", "tagged1"]);
    } finally {
      live.kill("SIGTERM");
      await live.status;
      await live.stdout.cancel();
      await live.stderr.cancel();
    }
  });
});

Deno.test("prune: --before and --since choose by age; bad values are exit 2 and remove nothing", async () => {
  await withSandbox(async (sb) => {
    for (const id of ["old1", "new1"]) {
      assertEquals((await sb.runprov(["stamp", "--run-id", id])).code, 0);
    }
    await backdate(sb, "old1", "2025-01-01T00:00:00.000Z");
    for (const bad of [["--before", "last year"], ["--status", "tagged,nope"]]) {
      const r = await sb.runprov(["prune", "--yes", ...bad]);
      assertEquals(r.code, 2, bad.join(" "));
      assertEquals(r.stdout, "");
    }
    assertEquals((await ids(sb, [])).sort(), ["new1", "old1"]);
    const r = await sb.runprov(["prune", "--yes", "--before", "30d"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await ids(sb, []), ["new1"]);
    const none = await sb.runprov(["prune", "--since", "1h", "--status", "failed"]);
    assertEquals(none.code, 0);
    assertEquals(none.stdout, "");
    assertMatch(none.stderr, /nothing to prune \(0 matching, 0 kept\)/);
  });
});

Deno.test("env: the first record in a record directory comes with a note naming prune", async () => {
  await withSandbox(async (sb) => {
    const first = await sb.runprov(["env"]);
    assertEquals(first.code, 0, first.stderr);
    assertMatch(first.stderr, /every 'runprov env' records a run/);
    assertMatch(first.stderr, /'runprov prune' removes unwanted records/);
    const second = await sb.runprov(["env"]);
    assertEquals(second.code, 0, second.stderr);
    assert(!second.stderr.includes("records a run"), second.stderr);
    assertEquals((await ids(sb, [])).length, 2);
  });
});
