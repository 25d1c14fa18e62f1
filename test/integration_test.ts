/** Features working together: config feeding tags, patches feeding verify. */
import { assertEquals, assertMatch } from "./assert.ts";
import { withSandbox } from "./helpers.ts";

Deno.test("tag: config tag.prefix names the tag, and describe never uses it", async () => {
  await withSandbox(async (sb) => {
    await sb.write("runprov.jsonc", '{ "tag": { "prefix": "exp/" } }\n');
    await sb.git("add", "runprov.jsonc");
    await sb.git("commit", "-qm", "config");
    await sb.git("tag", "-a", "v2", "-m", "v2");
    const rec = await sb.json(["stamp", "--run-id", "p1"]);
    const r = await sb.runprov(["tag", "--run", "p1"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), "exp/p1");
    assertEquals((await sb.git("rev-parse", "exp/p1^{commit}")).trim(), rec.git.sha);
    await sb.write("a.txt", "x\n");
    await sb.git("add", "a.txt");
    await sb.git("commit", "-qm", "next");
    const short = (await sb.git("rev-parse", "--short", "HEAD")).trim();
    assertEquals((await sb.json(["stamp"])).git.describe, `v2-1-g${short}`);
  });
});

Deno.test("verify: a dirty run's stored patch proves the same tree, and a further edit does not", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "dirty edit\n");
    const rec = await sb.json(["stamp", "--run-id", "d1"]);
    assertMatch(rec.git.patch.sha256, /^[0-9a-f]{64}$/);
    const same = await sb.runprov(["verify", "d1"]);
    assertEquals(same.code, 0, same.stderr + same.stdout);
    await sb.write("README.md", "dirty edit, then more\n");
    const differs = await sb.runprov(["verify", "d1"]);
    assertEquals(differs.code, 3);
  });
});

Deno.test("tag: strict policy from the config file refuses tagging a dirty run", async () => {
  await withSandbox(async (sb) => {
    await sb.write("README.md", "dirty\n");
    await sb.json(["stamp", "--run-id", "dirty1"]);
    await sb.write("runprov.jsonc", '{ "policy": "strict" }\n');
    const r = await sb.runprov(["tag", "--run", "dirty1"]);
    assertEquals(r.code, 3, r.stderr);
    const ok = await sb.runprov(["tag", "--run", "dirty1", "--allow-dirty", "known edit"]);
    assertEquals(ok.code, 0, ok.stderr);
  });
});
