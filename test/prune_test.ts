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
